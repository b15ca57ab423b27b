package io.cgrender.core.ssh;

import io.cgrender.core.CgrenderException;

/**
 * The server presented a host key that is not the one pinned (or vouched for by the cloud). Nothing was sent to
 * it: authentication had not started. The message shows both fingerprints and what to do.
 */
public class HostKeyRejectedException extends CgrenderException {

    public HostKeyRejectedException(String message) {
        super(message);
    }
}
