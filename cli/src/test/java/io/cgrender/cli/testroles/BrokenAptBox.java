package io.cgrender.cli.testroles;

import io.cgrender.boxes.UbuntuBox;
import io.cgrender.core.box.Role;

import java.util.List;

/** A box whose setup needs a package no distribution has, so apt-get install fails. */
@Role(name = "broken-apt-box", description = "test role: installs a package that does not exist")
public class BrokenAptBox extends UbuntuBox {

    public static final String MISSING_PACKAGE = "cgrender-test-no-such-package";

    @Override
    protected List<String> listPackagesToInstall() {
        return List.of("rsync", MISSING_PACKAGE);
    }
}
