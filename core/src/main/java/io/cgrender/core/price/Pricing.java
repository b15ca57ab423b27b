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

    /**
     * The price of {@code machine} for what a job records of its cost, or empty when the cloud has no prices or
     * cannot say now: a job never fails for want of its price.
     */
    static Optional<Price> forJob(Optional<Pricing> pricing, Machine machine) {
        try {
            return pricing.map(p -> p.of(machine));
        } catch (RuntimeException unknown) {
            return Optional.empty();
        }
    }
}
