package io.cgrender.core.price;

import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.cloud.Machine;

import java.util.Optional;

/** What a cloud's machines cost: the prices everything that shows money asks ({@code Cloud#pricing}). */
public interface Pricing {

    /** The hourly price of an existing machine (its type, region, and spot or on-demand). */
    Price of(Machine machine);

    /**
     * The hourly price of a machine a launch would make, before anything is made.
     *
     * @param role         the box role (its configured instance type counts)
     * @param machine      what the role needs of a machine (its recommended instance type)
     * @param instanceType the instance type asked for, overriding the role's
     * @param spot         spot capacity rather than on-demand
     */
    Price forLaunch(String role, MachineSpec machine, Optional<String> instanceType, boolean spot);
}
