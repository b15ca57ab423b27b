package io.cgrender.boxes;

import io.cgrender.core.box.DockerBox;
import io.cgrender.core.box.Role;
import io.cgrender.core.cloud.Machine;
import io.cgrender.core.ssh.RemoteHost;

import java.util.ArrayList;
import java.util.List;

/**
 * A general box for containers: an {@link UbuntuBox} with Docker Engine from the distribution ({@code docker.io}),
 * its daemon running, and the login user in the {@code docker} group ({@link DockerEngine}).
 * {@code cgrender run docker-ubuntu-box --docker IMAGE -- CMD…} runs a command in a container there.
 */
@Role(name = "docker-ubuntu-box",
        description = "Ubuntu with Docker Engine (docker.io) for run --docker, and the AWS CLI")
public class DockerUbuntuBox extends UbuntuBox implements DockerBox {

    private boolean joinedDockerGroup;

    @Override
    protected List<String> listPackagesToInstall() {
        List<String> packages = new ArrayList<>(super.listPackagesToInstall());
        packages.add("docker.io");
        return packages;
    }

    @Override
    protected void postInstallPackages(RemoteHost host) throws Exception {
        super.postInstallPackages(host);
        DockerEngine docker = new DockerEngine(host, sudo(host), console(), commandTimeout());
        docker.start();
        joinedDockerGroup = docker.letLoginUserIn();
        docker.verify();
    }

    /** A group joined during setup applies to new logins: the box's next command logs in afresh. */
    @Override
    protected void onReady(Machine machine, RemoteHost host) {
        if (joinedDockerGroup) {
            host.close();
        }
    }
}
