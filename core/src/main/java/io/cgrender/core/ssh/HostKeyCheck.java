package io.cgrender.core.ssh;

import java.security.PublicKey;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The host-key policy for one connection to one machine, free of any SSH library. A key pinned in known_hosts for the
 * alias must match exactly. With no pin, the presented key must have one of the fingerprints the cloud vouches for,
 * and is then pinned. A key revoked in known_hosts ({@code @revoked}) is refused even if pinned or vouched for.
 * Everything else is refused, with a message naming the alias, both fingerprints and the fix.
 * <p>
 * The cloud's fingerprints are asked for at most once, and only while no key is pinned.
 */
final class HostKeyCheck {

    private final String alias;
    private final String address;
    private final KnownHosts knownHosts;
    private final Supplier<Set<HostKeyFingerprint>> cloudFingerprints;
    private final String witness;
    private Set<HostKeyFingerprint> trusted;

    HostKeyCheck(String alias, String address, KnownHosts knownHosts,
                 Supplier<Set<HostKeyFingerprint>> cloudFingerprints) {
        this(alias, address, knownHosts, cloudFingerprints, "the cloud");
    }

    /** @param witness who vouches for the fingerprints, as the refusal names it */
    HostKeyCheck(String alias, String address, KnownHosts knownHosts,
                 Supplier<Set<HostKeyFingerprint>> cloudFingerprints, String witness) {
        this.witness = witness;
        this.alias = alias;
        this.address = address;
        this.knownHosts = knownHosts;
        this.cloudFingerprints = cloudFingerprints;
    }

    String alias() {
        return alias;
    }

    /**
     * Asks the cloud for its fingerprints now if no key is pinned, so that a slow cloud is waited for on the caller's
     * thread rather than in the middle of a key exchange.
     */
    void prepare() {
        if (!knownHosts.isPinned(alias)) {
            trusted();
        }
    }

    /** The key types pinned for the alias ({@code ssh-ed25519}, …), to ask the server for a key of those types. */
    List<String> pinnedKeyTypes() {
        List<String> types = new ArrayList<>();
        for (String line : knownHosts.keysFor(alias)) {
            String type = line.substring(0, line.indexOf(' '));
            if (!types.contains(type)) {
                types.add(type);
            }
        }
        return types;
    }

    /**
     * Accepts {@code presented} (pinning it if the cloud vouched for it), or returns why not.
     *
     * @return {@code null} if accepted
     */
    HostKeyRejectedException check(PublicKey presented) {
        String presentedLine = KeyFiles.publicKeyLine(presented);
        HostKeyFingerprint presentedFingerprint = HostKeyFingerprint.ofPublicKeyLine(presentedLine);
        if (knownHosts.isRevoked(alias, presentedLine)) {
            return revoked(presentedLine, presentedFingerprint);
        }
        List<String> pinned = knownHosts.keysFor(alias);
        if (!pinned.isEmpty()) {
            return pinned.contains(presentedLine) ? null : changed(presentedLine, presentedFingerprint, pinned);
        }
        Set<HostKeyFingerprint> vouched = trusted();
        if (vouched.contains(presentedFingerprint)) {
            knownHosts.pin(alias, presented);
            return null;
        }
        return vouched.isEmpty() ? unvouched(presentedLine, presentedFingerprint)
                : notVouched(presentedLine, presentedFingerprint, vouched);
    }

    private synchronized Set<HostKeyFingerprint> trusted() {
        if (trusted == null) {
            Set<HostKeyFingerprint> answer = cloudFingerprints.get();
            trusted = answer == null ? Set.of() : Set.copyOf(answer);
        }
        return trusted;
    }

    private HostKeyRejectedException changed(String presentedLine, HostKeyFingerprint presented, List<String> pinned) {
        String expected = pinned.stream().map(k -> type(k) + " " + HostKeyFingerprint.ofPublicKeyLine(k))
                .collect(Collectors.joining(" or "));
        return new HostKeyRejectedException("the host key of " + alias + " (" + address + ") has changed: it presented "
                + type(presentedLine) + " " + presented + ", but " + expected + " is pinned for it in "
                + knownHosts.file() + ". Nothing was sent to it. If the box was really rebuilt, remove the old key with"
                + " `ssh-keygen -R " + alias + " -f " + knownHosts.file() + "` and connect again; otherwise someone"
                + " may be intercepting the connection.");
    }

    private HostKeyRejectedException revoked(String presentedLine, HostKeyFingerprint presented) {
        return new HostKeyRejectedException("refusing the host key of " + alias + " (" + address + "): it presented "
                + type(presentedLine) + " " + presented + ", which a @revoked line in " + knownHosts.file()
                + " revokes. Nothing was sent to it. A revoked key is never used again; if the box really has no"
                + " other key, terminate it and create a new one.");
    }

    private HostKeyRejectedException unvouched(String presentedLine, HostKeyFingerprint presented) {
        return new HostKeyRejectedException("refusing the host key of " + alias + " (" + address + "): it presented "
                + type(presentedLine) + " " + presented + ", no key is pinned for it in " + knownHosts.file()
                + " and the cloud vouched for none, so there is nothing to check it against. Nothing was sent to it."
                + " Check the fingerprint out of band (for example on the machine's console: ssh-keygen -lf"
                + " /etc/ssh/ssh_host_ed25519_key.pub) and, if it matches, pin the key with `echo '" + alias + " "
                + presentedLine + "' >> " + knownHosts.file() + "`.");
    }

    private HostKeyRejectedException notVouched(String presentedLine, HostKeyFingerprint presented,
                                                Set<HostKeyFingerprint> vouched) {
        String expected = new LinkedHashSet<>(vouched).stream().map(HostKeyFingerprint::toString).sorted()
                .collect(Collectors.joining(", "));
        return new HostKeyRejectedException("refusing the host key of " + alias + " (" + address + "): it presented "
                + type(presentedLine) + " " + presented + ", but " + witness + " vouches only for " + expected + "."
                + " Nothing was sent to it. Someone may be intercepting the connection, or the address now belongs to"
                + " another machine; check that " + address + " is still " + alias + (witness.startsWith("the cloud")
                ? "." : ", and if the machine's key really changed, correct " + witness + "."));
    }

    private static String type(String keyLine) {
        return keyLine.substring(0, keyLine.indexOf(' '));
    }
}
