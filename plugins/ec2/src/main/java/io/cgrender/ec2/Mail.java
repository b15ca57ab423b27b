package io.cgrender.ec2;

import io.cgrender.core.UsageException;
import io.cgrender.core.ssh.Shell;
import io.cgrender.core.delivery.EmailAddress;
import software.amazon.awssdk.services.ses.model.IdentityVerificationAttributes;
import software.amazon.awssdk.services.ses.model.VerificationStatus;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Mail through Amazon SES in the boxes' region. What SES would refuse is refused before anything is launched, with
 * the fix: a sender that is not a verified identity (the address or its domain), and, while the account is in the
 * SES sandbox (which mails verified addresses only), a recipient that is not verified either. Nothing fails silently
 * on the box later.
 */
final class Mail {

    /** SES's daily quota in the sandbox; an account with production access has more. */
    private static final double SANDBOX_QUOTA = 200;

    private final AwsClients aws;

    Mail(AwsClients aws) {
        this.aws = aws;
    }

    /**
     * The sender of mails to {@code to}: {@code configured}, else {@code to} itself; checked with SES.
     *
     * @throws UsageException when SES would refuse to send
     */
    EmailAddress sender(EmailAddress to, Optional<EmailAddress> configured) {
        Optional<Refusal> refusal = refusal(to, configured);
        if (refusal.isPresent()) {
            throw new UsageException("cannot mail " + to + ": " + refusal.get().problem()).fix(refusal.get().fix());
        }
        return configured.orElse(to);
    }

    /** Why SES would refuse a mail (with what else would do), and the command that fixes it. */
    record Refusal(String problem, String fix) {
    }

    /**
     * Why SES would refuse to send mails from {@code configured} (else {@code to} itself) to {@code to}, if it would:
     * the sender is no verified identity (the address or its domain), or the account is in the SES sandbox and the
     * recipient is not verified either.
     */
    Optional<Refusal> refusal(EmailAddress to, Optional<EmailAddress> configured) {
        EmailAddress from = configured.orElse(to);
        String region = aws.region().id();
        Map<String, IdentityVerificationAttributes> status = aws.call("asking Amazon SES whether " + from + " may"
                + " send mail", () -> aws.ses().getIdentityVerificationAttributes(r -> r.identities(
                        List.of(from.address(), from.domain(), to.address(), to.domain()).stream().distinct()
                                .toList())).verificationAttributes());
        if (!verified(status, from)) {
            String state = Optional.ofNullable(status.get(from.address()))
                    .map(IdentityVerificationAttributes::verificationStatus).orElse(null) == VerificationStatus.PENDING
                    ? "is waiting for its verification: click the link in the mail AWS sent to " + from
                    : "is not a verified identity of Amazon SES in " + region;
            return Optional.of(new Refusal("the sender " + from + " " + state + "; verify it and click the link AWS"
                    + " mails to it" + (configured.isEmpty() ? ", or set cgrender.notify.from to a verified sender" : ""),
                    "aws ses verify-email-identity --email-address " + Shell.quote(from.address()) + " --region "
                            + region));
        }
        if (!to.equals(from) && !verified(status, to) && sandbox()) {
            return Optional.of(new Refusal("Amazon SES in " + region + " is in the sandbox, which mails verified"
                    + " addresses only; verify " + to + ", or ask AWS for production access (SES console, Account"
                    + " dashboard)", "aws ses verify-email-identity --email-address " + Shell.quote(to.address())
                    + " --region " + region));
        }
        return Optional.empty();
    }

    /** Sends a text mail (the box's, when the box had no credentials to send it). */
    void send(EmailAddress from, EmailAddress to, String subject, String body) {
        aws.run("mailing " + to + " through Amazon SES", () -> aws.ses().sendEmail(r -> r.source(from.address())
                .destination(d -> d.toAddresses(to.address()))
                .message(m -> m.subject(c -> c.data(subject).charset("UTF-8"))
                        .body(b -> b.text(c -> c.data(body).charset("UTF-8"))))));
    }

    private static boolean verified(Map<String, IdentityVerificationAttributes> status, EmailAddress address) {
        return List.of(address.address(), address.domain()).stream().map(status::get)
                .anyMatch(a -> a != null && a.verificationStatus() == VerificationStatus.SUCCESS);
    }

    private boolean sandbox() {
        Double quota = aws.call("asking Amazon SES for the account's sending quota", () -> aws.ses().getSendQuota())
                .max24HourSend();
        return quota != null && quota <= SANDBOX_QUOTA;
    }
}
