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

    /** How a distribution installs software: what a box's setup commands are written for. */
    public enum PackageManager {
        APT, DNF
    }

    /** Operating system families boxes are written for, with their package manager and the login user of images. */
    public enum Os {
        UBUNTU_LTS("Ubuntu LTS", PackageManager.APT, "ubuntu"),
        DEBIAN("Debian", PackageManager.APT, "admin"),
        AMAZON_LINUX("Amazon Linux 2023", PackageManager.DNF, "ec2-user");

        private final String displayName;
        private final PackageManager packageManager;
        private final String loginUser;

        Os(String displayName, PackageManager packageManager, String loginUser) {
            this.displayName = displayName;
            this.packageManager = packageManager;
            this.loginUser = loginUser;
        }

        /** E.g. "Amazon Linux 2023". */
        public String displayName() {
            return displayName;
        }

        public PackageManager packageManager() {
            return packageManager;
        }

        /** The user the distribution's cloud images let in with the launch key (has passwordless sudo). */
        public String loginUser() {
            return loginUser;
        }
    }

    /** A machine of {@code os}, logged in to as the login user of its images. */
    public static MachineSpec of(Os os, int minVcpus, int minMemoryGib, int diskGib, String instanceType) {
        return new MachineSpec(os, minVcpus, minMemoryGib, diskGib, Optional.of(instanceType), os.loginUser());
    }

    public static MachineSpec ubuntu(int minVcpus, int minMemoryGib, int diskGib, String instanceType) {
        return of(Os.UBUNTU_LTS, minVcpus, minMemoryGib, diskGib, instanceType);
    }
}
