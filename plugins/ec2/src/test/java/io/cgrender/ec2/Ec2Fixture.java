package io.cgrender.ec2;

import io.cgrender.core.claim.Lease;
import io.cgrender.core.box.BoxEnvironment;
import io.cgrender.core.box.MachineSpec;
import io.cgrender.core.cloud.CloudContext;
import io.cgrender.core.cloud.LaunchSpec;
import io.cgrender.core.config.Dirs;
import io.cgrender.core.config.Settings;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.ssh.KnownHosts;
import io.cgrender.core.ssh.MinaSshConnector;
import io.cgrender.core.ssh.NamespaceKey;
import io.cgrender.core.ui.Console;
import io.cgrender.ec2.testkit.Ec2TestKit;
import io.cgrender.ec2.testkit.Standins;
import io.cgrender.testkit.AwsProxy;
import io.cgrender.testkit.MotoServer;
import org.mockito.Mockito;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Instance;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * An EC2 cloud on moto with stand-ins, as a command would open it, plus a client of moto's own to look at the
 * result. {@link #close()} terminates every instance left, removes the stand-ins and closes the clients.
 */
final class Ec2Fixture implements AutoCloseable {

    final MotoServer moto;
    /** A proxy in front of moto that can answer as AWS does where moto does not; see {@link #throughProxy()}. */
    final AwsProxy proxy;
    final Dirs dirs;
    final Ec2Client ec2;
    final StringWriter err = new StringWriter();
    final Console console = new Console(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), true);
    private final Path temp;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    Ec2Fixture(Path temp) {
        this.temp = temp;
        this.moto = Ec2TestKit.freshMoto();
        this.dirs = new Dirs(temp.resolve("config"), temp.resolve("data"), temp.resolve("state"));
        this.ec2 = Ec2TestKit.client(moto);
        this.proxy = AwsProxy.to(moto.endpoint());
        closeables.add(proxy);
    }

    /** The configuration that sends the cloud's calls (and its boxes') through {@link #proxy}, to add to extra. */
    Map<String, Object> throughProxy() {
        return Map.of("cgrender.aws.endpoint", proxy.endpoint());
    }

    Map<String, String> env() {
        return Ec2TestKit.environment(temp.resolve("home"));
    }

    Settings settings(Map<String, Object> extra) {
        Map<String, Object> config = new LinkedHashMap<>(Ec2TestKit.config(moto));
        config.putAll(extra);
        return Settings.load(dirs, Optional.empty(), env(), config);
    }

    /** The cloud as {@code cgrender} opens it, with {@code extra} configuration. */
    Ec2Cloud cloud(Map<String, Object> extra) {
        return cloud(extra, UnaryOperator.identity());
    }

    /** The cloud with its EC2 client replaced by {@code wrap(client)}, e.g. a Mockito mock that injects a failure. */
    Ec2Cloud cloud(Map<String, Object> extra, UnaryOperator<Ec2Client> wrap) {
        return cloud(extra, wrap, UnaryOperator.identity());
    }

    /** The cloud with its EC2 and IAM clients replaced, e.g. by ones that refuse. */
    Ec2Cloud cloud(Map<String, Object> extra, UnaryOperator<Ec2Client> wrap,
                   UnaryOperator<software.amazon.awssdk.services.iam.IamClient> wrapIam) {
        return cloud(extra, wrap, wrapIam, Namespace.parse("/fixture/", null));
    }

    /** The cloud of a command run with {@code -n namespace}. */
    Ec2Cloud cloud(Map<String, Object> extra, Namespace namespace) {
        return cloud(extra, UnaryOperator.identity(), UnaryOperator.identity(), namespace);
    }

    /**
     * The cloud of a command run with {@code -n namespace} on another machine of the same user, whose configuration
     * (its keys, its known hosts) is in {@code machine}.
     */
    Ec2Cloud cloudOn(Dirs machine, Map<String, Object> extra, Namespace namespace) {
        return cloud(extra, UnaryOperator.identity(), UnaryOperator.identity(), namespace, machine);
    }

    private Ec2Cloud cloud(Map<String, Object> extra, UnaryOperator<Ec2Client> wrap,
                           UnaryOperator<software.amazon.awssdk.services.iam.IamClient> wrapIam, Namespace namespace) {
        return cloud(extra, wrap, wrapIam, namespace, dirs);
    }

    private Ec2Cloud cloud(Map<String, Object> extra, UnaryOperator<Ec2Client> wrap,
                           UnaryOperator<software.amazon.awssdk.services.iam.IamClient> wrapIam, Namespace namespace,
                           Dirs dirs) {
        Map<String, Object> config = new LinkedHashMap<>(Ec2TestKit.config(moto));
        config.putAll(extra);
        Settings settings = Settings.load(dirs, Optional.empty(), env(), config);
        CloudContext context = new CloudContext(settings, dirs, namespace, console, env());
        Ec2Settings ec2Settings = Ec2Settings.from(settings);
        AwsClients opened = AwsClients.open(ec2Settings, env());
        Ec2Cloud cloud = new Ec2Cloud(context, ec2Settings, opened.withEc2(wrap.apply(opened.ec2()))
                .withIam(wrapIam.apply(opened.iam())), Ec2CloudProvider.access(ec2Settings,
                io.cgrender.core.plugin.Plugins.builtIn()));
        closeables.add(cloud);
        return cloud;
    }

    BoxEnvironment environment(Ec2Cloud cloud, Namespace ns) {
        KnownHosts knownHosts = new KnownHosts(dirs.knownHosts());
        MinaSshConnector ssh = new MinaSshConnector(knownHosts);
        closeables.add(ssh);
        return new BoxEnvironment(cloud, ns, key(ns), knownHosts, ssh, cloud.context().settings(), console);
    }

    NamespaceKey key(Namespace ns) {
        return NamespaceKey.loadOrCreate(dirs.keys(), ns);
    }

    /** A launch spec for a small box of {@code role} in {@code ns}, expiring at {@code expiresAt}. */
    LaunchSpec spec(Namespace ns, String role, Instant expiresAt) {
        return new LaunchSpec(ns, role, MachineSpec.ubuntu(1, 1, 8, "t3.micro"),
                Tags.forNewBox(ns, role, "ubuntu", 0, expiresAt, Duration.ofMinutes(30), Lease.ofSelf(Instant.now(), Duration.ofHours(1))
                        .tagValue()),
                key(ns).publicKeyLine(), Duration.ofMinutes(30), Duration.ofHours(1), Optional.empty(), Optional.empty(),
                false);
    }

    /** A launch spec for a small box of {@code role} on {@code os}, logging in as that OS's user. */
    LaunchSpec spec(Namespace ns, String role, MachineSpec.Os os) {
        MachineSpec machine = MachineSpec.of(os, 1, 1, 8, "t3.micro");
        return new LaunchSpec(ns, role, machine, Tags.forNewBox(ns, role, machine.adminUser(), 0,
                Instant.now().plus(Duration.ofHours(1)), Duration.ofMinutes(30),
                Lease.ofSelf(Instant.now(), Duration.ofHours(1)).tagValue()), key(ns).publicKeyLine(),
                Duration.ofMinutes(30), Duration.ofHours(1), Optional.empty(), Optional.empty(), false);
    }

    /** Puts a plain SSM parameter into moto, e.g. one naming a base image. */
    void putParameter(String name, String value) {
        try (var ssm = software.amazon.awssdk.services.ssm.SsmClient.builder()
                .endpointOverride(java.net.URI.create(moto.endpoint()))
                .region(software.amazon.awssdk.regions.Region.US_EAST_1)
                .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                        software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(
                                io.cgrender.testkit.MotoServer.ACCESS_KEY, io.cgrender.testkit.MotoServer.SECRET_KEY)))
                .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create()).build()) {
            ssm.putParameter(r -> r.name(name).value(value).type("String").overwrite(true));
        }
    }

    LaunchSpec spec(Namespace ns, String role) {
        return spec(ns, role, Instant.now().plus(Duration.ofHours(1)));
    }

    Instance instance(String id) {
        return ec2.describeInstances(r -> r.instanceIds(id)).reservations().get(0).instances().get(0);
    }

    String state(String id) {
        return instance(id).state().nameAsString();
    }

    /** Instances that are not terminated. */
    List<Instance> liveInstances() {
        return ec2.describeInstancesPaginator(r -> { }).reservations().stream().flatMap(r -> r.instances().stream())
                .filter(i -> !i.state().nameAsString().equals("terminated")).toList();
    }

    /**
     * A mock of an AWS client that passes every call to {@code real}, for a test to stub the calls it changes. The
     * SDK's convenience overloads (a Consumer of a request builder, no argument, paginators) run on the mock itself and
     * end in the overload taking the request, so stubbing that one catches every way of making a call.
     */
    static <T> T delegating(Class<T> type, T real) {
        return Mockito.mock(type, Mockito.withSettings().defaultAnswer(call -> {
            Method method = call.getMethod();
            Class<?>[] params = method.getParameterTypes();
            boolean convenience = method.isDefault() && (method.getName().endsWith("Paginator")
                    || (params.length == 1 && Consumer.class.isAssignableFrom(params[0]))
                    || (params.length == 0 && SdkResponse.class.isAssignableFrom(method.getReturnType())));
            if (convenience) {
                return call.callRealMethod();
            }
            try {
                return method.invoke(real, call.getArguments());
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }));
    }

    /** The error EC2 answers with {@code code}, as the SDK throws it. */
    static Ec2Exception ec2Error(String code, String message) {
        return (Ec2Exception) Ec2Exception.builder().statusCode(400).message(message)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(message).build()).build();
    }

    @Override
    public void close() throws Exception {
        Exception failure = null;
        for (Instance i : liveInstances()) {
            ec2.terminateInstances(r -> r.instanceIds(i.instanceId()));
        }
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        try {
            Standins.closeAll();
        } finally {
            ec2.close();
        }
        if (failure != null) {
            throw failure;
        }
    }
}
