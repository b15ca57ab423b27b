package io.cgrender.local;

import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.price.Price;
import io.cgrender.core.price.Pricing;

import java.util.Optional;

/** Prices on the local cloud: a box is a process on this machine and costs nothing. */
final class LocalPricing implements Pricing {

    static final LocalPricing FREE = new LocalPricing();

    private static final Price NOTHING = Price.free("a local box", "the local cloud");

    private LocalPricing() {
    }

    @Override
    public Price of(Machine machine) {
        return NOTHING;
    }

    @Override
    public Price forLaunch(String role, MachineSpec machine, Optional<String> instanceType, boolean spot) {
        return NOTHING;
    }
}
