package io.cgrender.core.box;

import java.util.Optional;

/**
 * What a box needs of a machine. Clouds pick an image for {@link #os()} and a size at least this large.
 *
 * @param os                      the operating system family the box's setup is written for
 * @param minVcpus                at least this many virtual CPUs
 * @param minMemoryGib            at least this much memory
 * @param diskGib                 root disk size
 * @param recommendedInstanceType the EC2 instance type to use unless the user names one
 * @param adminUser               the user to log in as (has sudo)
 */
public record MachineSpec(Os os, int minVcpus, int minMemoryGib, int diskGib,
                          Optional<String> recommendedInstanceType, String adminUser) {

    /** Operating system families boxes are written for. */
    public enum Os {
        UBUNTU_LTS, DEBIAN, AMAZON_LINUX
    }

    public static MachineSpec ubuntu(int minVcpus, int minMemoryGib, int diskGib, String instanceType) {
        return new MachineSpec(Os.UBUNTU_LTS, minVcpus, minMemoryGib, diskGib, Optional.of(instanceType), "ubuntu");
    }
}
