package io.cgrender.core.doctor;

import io.cgrender.core.box.MachineSpec;

/**
 * The box a cloud's checks should check the launch of: the render role ({@code cgrender.render.role}) and what it
 * needs of a machine, so that a check asks the cloud exactly what a render would.
 */
public record CheckTarget(String role, MachineSpec machine) {
}
