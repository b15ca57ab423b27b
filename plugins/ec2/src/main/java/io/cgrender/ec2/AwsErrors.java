package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.UsageException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkException;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.Set;

/**
 * Turns AWS SDK failures into one-line explanations: what cgrender was doing, what AWS (or the network) said, and what
 * the user can do about it. Bad credentials, unknown names and refused quotas are the user's to fix (exit code 2);
 * the rest are failures (exit code 1).
 */
final class AwsErrors {

    private static final Set<String> CREDENTIALS = Set.of("AuthFailure", "InvalidClientTokenId",
            "UnrecognizedClientException", "SignatureDoesNotMatch", "ExpiredToken", "RequestExpired",
            "InvalidAccessKeyId", "IncompleteSignature", "MissingAuthenticationToken");
    private static final Set<String> PERMISSIONS = Set.of("UnauthorizedOperation", "AccessDenied",
            "AccessDeniedException", "Blocked");
    private static final Set<String> QUOTAS = Set.of("InstanceLimitExceeded", "VcpuLimitExceeded",
            "MaxSpotInstanceCountExceeded", "ResourceLimitExceeded", "AddressLimitExceeded",
            "SecurityGroupLimitExceeded", "RulesPerSecurityGroupLimitExceeded", "KeyPairLimitExceeded");
    private static final Set<String> CAPACITY = Set.of("InsufficientInstanceCapacity", "InsufficientCapacity",
            "InsufficientHostCapacity", "SpotMaxPriceTooLow", "InsufficientFreeAddressesInSubnet");

    private AwsErrors() {
    }

    static CgrenderException explain(String doing, SdkException e, AwsClients aws, Ec2Settings settings) {
        if (e instanceof AwsServiceException service) {
            String code = code(service);
            String said = code + ": " + message(service);
            if (CREDENTIALS.contains(code)) {
                return new UsageException(aws.where() + " refused the credentials while " + doing + " (" + said
                        + "); check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the profile (--profile, AWS_PROFILE)",
                        e);
            }
            if (PERMISSIONS.contains(code)) {
                return new CgrenderException("not allowed " + doing + " (" + said + "); the IAM user or role of these"
                        + " credentials needs permission for it", e);
            }
            if (code.equals("OptInRequired")) {
                return new UsageException(aws.where() + " is not enabled for this account (" + said + "); enable the"
                        + " region in the AWS console or pick another with --region", e);
            }
            if (QUOTAS.contains(code)) {
                return new UsageException(aws.where() + " refused " + doing + " for a quota (" + said + "); use a"
                        + " smaller --instance-type, terminate boxes you no longer need, try another region, or ask"
                        + " for a higher quota in the Service Quotas console", e).see("cgrender list");
            }
            if (service.isThrottlingException()) {
                return new CgrenderException(aws.where() + " throttled " + doing + " through "
                        + settings.maxAttempts() + " attempts (" + said + "): the account's API rate is used up,"
                        + " perhaps by other tools; try again in a minute, or raise cgrender.aws.max-attempts", e);
            }
            if (CAPACITY.contains(code)) {
                return new CgrenderException(aws.where() + " has no capacity for " + doing + " right now (" + said
                        + "); try again later, another instance type (--instance-type) or another region", e);
            }
            return new CgrenderException(doing + " failed: " + said + " (" + aws.where() + ")", e);
        }
        if (hasCause(e, ApiCallTimeoutException.class)) {
            return new CgrenderException("timed out after " + settings.apiCallTimeout().toSeconds() + "s " + doing
                    + " (" + aws.where() + "): no answer within cgrender.aws.timeouts.api-call; check the network and"
                    + " the endpoint", e);
        }
        if (hasCause(e, ApiCallAttemptTimeoutException.class) || hasCause(e, SocketTimeoutException.class)) {
            return new CgrenderException("timed out " + doing + " (" + aws.where() + "): no answer within "
                    + settings.apiCallAttemptTimeout().toSeconds() + "s (cgrender.aws.timeouts.api-call-attempt);"
                    + " check the network and the endpoint", e);
        }
        if (hasCause(e, ConnectException.class) || hasCause(e, UnknownHostException.class)
                || hasCause(e, NoRouteToHostException.class)) {
            return new CgrenderException("cannot reach " + aws.where() + " while " + doing + ": "
                    + rootMessage(e) + "; check the network, --region and cgrender.aws.endpoint", e);
        }
        String text = String.valueOf(e.getMessage());
        if (text.contains("Unable to load credentials")) {
            return new UsageException("no usable AWS credentials while " + doing + ": " + firstLine(text), e);
        }
        return new CgrenderException(doing + " failed: " + firstLine(text) + " (" + aws.where() + ")", e);
    }

    /** "code: message" of an AWS error, or the first line of any other failure. */
    static String summary(SdkException e) {
        return e instanceof AwsServiceException service ? code(service) + ": " + message(service)
                : firstLine(String.valueOf(e.getMessage()));
    }

    /** The AWS error code, e.g. {@code InvalidInstanceID.NotFound}, or "" when the service sent none. */
    static String code(AwsServiceException e) {
        return e.awsErrorDetails() == null || e.awsErrorDetails().errorCode() == null ? ""
                : e.awsErrorDetails().errorCode();
    }

    /** Whether {@code e}, or what it was caused by, is AWS asking its caller to slow down. */
    static boolean throttled(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof AwsServiceException service && service.isThrottlingException()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The AWS refusal of a permission in {@code e} or what caused it ({@code AccessDenied},
     * {@code UnauthorizedOperation}, …), if it is one.
     */
    static Optional<AwsServiceException> denied(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof AwsServiceException service && (PERMISSIONS.contains(code(service))
                    || code(service).equals("UnauthorizedAccess"))) {
                return Optional.of(service);
            }
        }
        return Optional.empty();
    }

    /** Whether {@code e} says EC2 has no capacity for the instance type where it was asked for, at the moment. */
    static boolean noCapacity(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (is(t, "InsufficientInstanceCapacity", "InsufficientHostCapacity", "InsufficientCapacity")) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code e} is an AWS error whose code is one of {@code codes}. */
    static boolean is(Throwable e, String... codes) {
        if (!(e instanceof AwsServiceException service)) {
            return false;
        }
        String code = code(service);
        for (String c : codes) {
            if (c.equals(code)) {
                return true;
            }
        }
        return false;
    }

    private static String message(AwsServiceException e) {
        String m = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorMessage();
        return m == null || m.isBlank() ? firstLine(String.valueOf(e.getMessage())) : m;
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
            for (Throwable s : t.getSuppressed()) {
                if (type.isInstance(s)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
