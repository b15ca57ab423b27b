package io.cgrender.testkit;

import io.cgrender.testkit.AwsProxy.AwsRequest;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * What an {@link AwsProxy} does to the calls it passes on: the ways AWS answers that moto does not. Each fault is off
 * until turned on, and {@link #clear()} turns them all off; every method returns this, to chain. Times run from the
 * moment the proxy saw the answer that made a resource known (RunInstances, CreateImage, CreateInstanceProfile,
 * AssumeRole), so only resources made through the proxy are affected.
 */
public final class AwsFaults {

    /** What the proxy answers instead of the service: an error, or (with {@code body}) a made-up success. */
    record Answer(int status, String code, String message, String body) {

        static Answer error(int status, String code, String message) {
            return new Answer(status, code, message, null);
        }
    }

    private record NoCapacity(String zone, String instanceType) {

        boolean matches(String zone, String instanceType) {
            return (this.zone.equals("*") || this.zone.equals(zone))
                    && (this.instanceType.equals("*") || this.instanceType.equals(instanceType));
        }
    }

    private record Failure(int times, Answer answer) {
    }

    private Duration hideInstances = Duration.ZERO;
    private Duration hideImages = Duration.ZERO;
    private Duration profileLag = Duration.ZERO;
    private Duration credentialsLag = Duration.ZERO;
    private Duration consoleDelay = Duration.ZERO;
    private final Map<String, Integer> throttleEvery = new HashMap<>();
    private final Map<String, Integer> callsOfService = new HashMap<>();
    private final Map<String, Integer> throttleNext = new HashMap<>();
    private final List<NoCapacity> noCapacity = new ArrayList<>();
    private final Map<String, Failure> failNext = new HashMap<>();
    private final Map<String, Instant> instancesMade = new HashMap<>();
    private final Map<String, Instant> instancesBooted = new HashMap<>();
    private final Map<String, Instant> imagesMade = new HashMap<>();
    private final Map<String, String> imageStates = new HashMap<>();
    private final Map<String, Instant> profilesMade = new HashMap<>();
    private final Map<String, Instant> credentialsIssued = new HashMap<>();

    AwsFaults() {
    }

    /** Instances are unknown to every EC2 call for {@code delay} after RunInstances returned their ids. */
    public synchronized AwsFaults hideNewInstancesFor(Duration delay) {
        hideInstances = delay;
        return this;
    }

    /**
     * DescribeImages shows image {@code imageId} in {@code state} ({@code pending}, {@code failed}, …) whatever moto
     * says (moto makes every image available at once); {@code null} forgets it.
     */
    public synchronized AwsFaults imageState(String imageId, String state) {
        if (state == null) {
            imageStates.remove(imageId);
        } else {
            imageStates.put(imageId, state);
        }
        return this;
    }

    /** Images are unknown to every EC2 call for {@code delay} after CreateImage (or CopyImage) returned their ids. */
    public synchronized AwsFaults hideNewImagesFor(Duration delay) {
        hideImages = delay;
        return this;
    }

    /** Every {@code n}-th call of {@code service} ({@code ec2}, {@code s3}, {@code iam}, …) is throttled. */
    public synchronized AwsFaults throttleEvery(String service, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be at least 1, not " + n);
        }
        throttleEvery.put(service, n);
        callsOfService.put(service, 0);
        return this;
    }

    /** The next {@code times} calls of {@code action} (e.g. {@code DescribeInstances}) are throttled. */
    public synchronized AwsFaults throttleNext(String action, int times) {
        throttleNext.put(action, times);
        return this;
    }

    /**
     * RunInstances of {@code instanceType} in {@code zone} (each may be {@code *}) fails with
     * {@code InsufficientInstanceCapacity}. A launch naming neither subnet nor zone lands, as moto places it, in the
     * first zone that has a default subnet.
     */
    public synchronized AwsFaults noCapacity(String zone, String instanceType) {
        noCapacity.add(new NoCapacity(zone, instanceType));
        return this;
    }

    /**
     * IAM is slow to reach EC2 and the other services: for {@code delay} after an instance profile was made, EC2
     * refuses it (RunInstances, AssociateIamInstanceProfile), and for {@code delay} after a role's temporary
     * credentials were issued (AssumeRole), every service refuses them.
     */
    public synchronized AwsFaults slowIam(Duration delay) {
        return slowIam(delay, delay);
    }

    /**
     * {@link #slowIam(Duration)} with a lag of its own for each: EC2 refuses a new instance profile for
     * {@code profiles}, every service refuses new temporary credentials for {@code credentials}.
     */
    public synchronized AwsFaults slowIam(Duration profiles, Duration credentials) {
        profileLag = profiles;
        credentialsLag = credentials;
        return this;
    }

    /** GetConsoleOutput answers without output for {@code delay} after an instance was launched or started. */
    public synchronized AwsFaults emptyConsoleFor(Duration delay) {
        consoleDelay = delay;
        return this;
    }

    /**
     * The next {@code times} calls of {@code action} are answered with the error {@code code} (HTTP {@code status}),
     * e.g. {@code UnsupportedOperation} for a GetConsoleOutput that asks for the latest output of an older instance.
     */
    public synchronized AwsFaults failNext(String action, int times, int status, String code, String message) {
        failNext.put(action, new Failure(times, Answer.error(status, code, message)));
        return this;
    }

    /** Turns every fault off (what was made stays known, with its time). */
    public synchronized AwsFaults clear() {
        hideInstances = Duration.ZERO;
        hideImages = Duration.ZERO;
        imageStates.clear();
        profileLag = Duration.ZERO;
        credentialsLag = Duration.ZERO;
        consoleDelay = Duration.ZERO;
        throttleEvery.clear();
        callsOfService.clear();
        throttleNext.clear();
        noCapacity.clear();
        failNext.clear();
        return this;
    }

    // ---------------------------------------------------------------- the proxy's side

    /** The proxy's answer to {@code request} instead of the service's, if a fault applies. */
    synchronized Optional<Answer> before(AwsRequest request, Function<String, Optional<String>> zoneOf) {
        Instant now = Instant.now();
        return failure(request)
                .or(() -> throttled(request))
                .or(() -> unusableCredentials(request, now))
                .or(() -> unknownInstance(request, now))
                .or(() -> unknownImage(request, now))
                .or(() -> unknownProfile(request, now))
                .or(() -> noCapacity(request, zoneOf))
                .or(() -> emptyConsole(request, now));
    }

    /** The service's answer to {@code request}, as the client gets it; learns what the answer made known. */
    synchronized byte[] after(AwsRequest request, int status, byte[] body) {
        if (status / 100 != 2) {
            return body;
        }
        Instant now = Instant.now();
        String text = new String(body, StandardCharsets.UTF_8);
        switch (request.action()) {
            case "RunInstances" -> AwsProxy.instanceIds(text).forEach(id -> {
                instancesMade.put(id, now);
                instancesBooted.put(id, now);
            });
            case "StartInstances" -> request.values("InstanceId\\.\\d+").forEach(id -> instancesBooted.put(id, now));
            case "CreateImage", "CopyImage", "RegisterImage" -> AwsProxy.imageIds(text)
                    .forEach(id -> imagesMade.put(id, now));
            case "CreateInstanceProfile" -> profilesMade.put(request.param("InstanceProfileName"), now);
            case "AssumeRole" -> AwsProxy.accessKeyIds(text).forEach(key -> credentialsIssued.put(key, now));
            case "DescribeInstances" -> {
                return hiding(hideInstances, instancesMade, now) ? withoutHidden(body, "instancesSet", "instanceId",
                        instancesMade, hideInstances, now, "reservationSet") : body;
            }
            case "DescribeImages" -> {
                byte[] shown = hiding(hideImages, imagesMade, now) ? withoutHidden(body, "imagesSet", "imageId",
                        imagesMade, hideImages, now, null) : body;
                return imageStates.isEmpty() ? shown : withImageStates(shown, imageStates);
            }
            default -> {
            }
        }
        return body;
    }

    // ---------------------------------------------------------------- the faults

    private Optional<Answer> failure(AwsRequest request) {
        Failure failure = failNext.get(request.action());
        if (failure == null || failure.times() < 1) {
            return Optional.empty();
        }
        failNext.put(request.action(), new Failure(failure.times() - 1, failure.answer()));
        return Optional.of(failure.answer());
    }

    private Optional<Answer> throttled(AwsRequest request) {
        Integer next = throttleNext.get(request.action());
        boolean throttle = false;
        if (next != null && next > 0) {
            throttleNext.put(request.action(), next - 1);
            throttle = true;
        } else if (throttleEvery.containsKey(request.service())) {
            int count = callsOfService.merge(request.service(), 1, Integer::sum);
            throttle = count % throttleEvery.get(request.service()) == 0;
        }
        if (!throttle) {
            return Optional.empty();
        }
        return Optional.of(switch (request.protocol()) {
            case EC2 -> Answer.error(503, "RequestLimitExceeded", "Request limit exceeded.");
            case REST_XML -> Answer.error(503, "SlowDown", "Please reduce your request rate.");
            case JSON -> Answer.error(400, "ThrottlingException", "Rate exceeded");
            default -> Answer.error(400, "Throttling", "Rate exceeded");
        });
    }

    private Optional<Answer> unusableCredentials(AwsRequest request, Instant now) {
        if (!young(credentialsIssued.get(request.accessKey()), credentialsLag, now)) {
            return Optional.empty();
        }
        return Optional.of(switch (request.protocol()) {
            case EC2 -> Answer.error(401, "AuthFailure", "AWS was not able to validate the provided access"
                    + " credentials");
            case REST_XML -> Answer.error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not"
                    + " exist in our records.");
            case JSON -> Answer.error(400, "UnrecognizedClientException", "The security token included in the"
                    + " request is invalid.");
            default -> Answer.error(403, "InvalidClientTokenId", "The security token included in the request is"
                    + " invalid.");
        });
    }

    private Optional<Answer> unknownInstance(AwsRequest request, Instant now) {
        if (!request.service().equals("ec2")) {
            return Optional.empty();
        }
        List<String> named = new ArrayList<>(request.values("InstanceId(\\.\\d+)?"));
        request.values("ResourceId\\.\\d+").stream().filter(id -> id.startsWith("i-")).forEach(named::add);
        return named.stream().filter(id -> young(instancesMade.get(id), hideInstances, now)).findFirst()
                .map(id -> Answer.error(400, "InvalidInstanceID.NotFound", "The instance ID '" + id + "' does not"
                        + " exist"));
    }

    private Optional<Answer> unknownImage(AwsRequest request, Instant now) {
        if (!request.service().equals("ec2")) {
            return Optional.empty();
        }
        List<String> named = new ArrayList<>(request.values("ImageId(\\.\\d+)?"));
        request.values("ResourceId\\.\\d+").stream().filter(id -> id.startsWith("ami-")).forEach(named::add);
        return named.stream().filter(id -> young(imagesMade.get(id), hideImages, now)).findFirst()
                .map(id -> Answer.error(400, "InvalidAMIID.NotFound", "The image id '[" + id + "]' does not exist"));
    }

    private Optional<Answer> unknownProfile(AwsRequest request, Instant now) {
        if (!request.action().equals("RunInstances") && !request.action().equals("AssociateIamInstanceProfile")) {
            return Optional.empty();
        }
        for (String kind : List.of("Arn", "Name")) {
            String value = request.param("IamInstanceProfile." + kind);
            String name = value.substring(value.lastIndexOf('/') + 1);
            if (!value.isEmpty() && young(profilesMade.get(name), profileLag, now)) {
                return Optional.of(Answer.error(400, "InvalidParameterValue", "Value (" + value + ") for parameter"
                        + " iamInstanceProfile." + kind.toLowerCase() + " is invalid. Invalid IAM Instance Profile "
                        + kind.toLowerCase()));
            }
        }
        return Optional.empty();
    }

    private Optional<Answer> noCapacity(AwsRequest request, Function<String, Optional<String>> zoneOf) {
        if (!request.action().equals("RunInstances") || noCapacity.isEmpty()) {
            return Optional.empty();
        }
        String type = request.param("InstanceType");
        String zone = request.param("Placement.AvailabilityZone");
        if (zone.isEmpty()) {
            String subnet = request.param("SubnetId").isEmpty() ? request.param("NetworkInterface.1.SubnetId")
                    : request.param("SubnetId");
            zone = zoneOf.apply(subnet).orElse("");
        }
        String where = zone;
        if (noCapacity.stream().noneMatch(rule -> rule.matches(where, type))) {
            return Optional.empty();
        }
        return Optional.of(Answer.error(500, "InsufficientInstanceCapacity", "We currently do not have sufficient "
                + type + " capacity in the Availability Zone you requested (" + where + "). Our system will be working"
                + " on provisioning additional capacity. You can currently get " + type + " capacity by not specifying"
                + " an Availability Zone in your request or choosing other zones."));
    }

    private Optional<Answer> emptyConsole(AwsRequest request, Instant now) {
        String id = request.param("InstanceId");
        if (!request.action().equals("GetConsoleOutput") || !young(instancesBooted.get(id), consoleDelay, now)) {
            return Optional.empty();
        }
        return Optional.of(new Answer(200, "empty console", "", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<GetConsoleOutputResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>"
                + java.util.UUID.randomUUID() + "</requestId><instanceId>" + id + "</instanceId><timestamp>" + now
                + "</timestamp><output></output></GetConsoleOutputResponse>"));
    }

    // ---------------------------------------------------------------- internals

    private static boolean young(Instant made, Duration within, Instant now) {
        return made != null && !within.isZero() && now.isBefore(made.plus(within));
    }

    private static boolean hiding(Duration within, Map<String, Instant> made, Instant now) {
        return !within.isZero() && made.values().stream().anyMatch(t -> young(t, within, now));
    }

    /**
     * {@code body} without the {@code <item>}s of every {@code set} whose {@code idElement} names a hidden resource;
     * with {@code outerSet}, also without the items of that set left with an empty {@code set} (a reservation whose
     * instances are all hidden).
     */
    private static byte[] withoutHidden(byte[] body, String set, String idElement, Map<String, Instant> made,
                                        Duration within, Instant now, String outerSet) {
        try {
            Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(new ByteArrayInputStream(body));
            for (Element item : items(doc, set)) {
                String id = childText(item, idElement);
                if (young(made.get(id), within, now)) {
                    item.getParentNode().removeChild(item);
                }
            }
            if (outerSet != null) {
                for (Element outer : items(doc, outerSet)) {
                    if (items(outer, set).isEmpty()) {
                        outer.getParentNode().removeChild(outer);
                    }
                }
            }
            return bytes(doc);
        } catch (Exception e) {
            throw new IllegalStateException("cannot hide new resources in a " + set + " answer", e);
        }
    }

    /** {@code doc} as an answer's body (UTF-8). */
    private static byte[] bytes(Document doc) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        var transformer = TransformerFactory.newInstance().newTransformer();
        transformer.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
        transformer.transform(new DOMSource(doc), new StreamResult(out));
        return out.toByteArray();
    }

    private static byte[] withImageStates(byte[] body, Map<String, String> states) {
        try {
            Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(new ByteArrayInputStream(body));
            for (Element item : items(doc, "imagesSet")) {
                String state = states.get(childText(item, "imageId"));
                NodeList children = item.getChildNodes();
                for (int i = 0; state != null && i < children.getLength(); i++) {
                    if (children.item(i) instanceof Element e && e.getTagName().equals("imageState")) {
                        e.setTextContent(state);
                    }
                }
            }
            return bytes(doc);
        } catch (Exception e) {
            throw new IllegalStateException("cannot set image states in a DescribeImages answer", e);
        }
    }

    /** The {@code <item>} children of every element named {@code set} under {@code root}. */
    private static List<Element> items(Node root, String set) {
        NodeList sets = root instanceof Document d ? d.getElementsByTagName(set)
                : ((Element) root).getElementsByTagName(set);
        List<Element> items = new ArrayList<>();
        for (int i = 0; i < sets.getLength(); i++) {
            NodeList children = sets.item(i).getChildNodes();
            for (int j = 0; j < children.getLength(); j++) {
                if (children.item(j) instanceof Element e && e.getTagName().equals("item")) {
                    items.add(e);
                }
            }
        }
        return items;
    }

    private static String childText(Element item, String name) {
        NodeList children = item.getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            if (children.item(i) instanceof Element e && e.getTagName().equals(name)) {
                return e.getTextContent();
            }
        }
        return "";
    }
}
