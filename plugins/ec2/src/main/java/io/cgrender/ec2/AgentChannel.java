package io.cgrender.ec2;

import io.cgrender.core.CgrenderException;
import io.cgrender.core.Json;
import io.cgrender.core.ns.Namespace;
import io.cgrender.core.ns.Tags;
import io.cgrender.core.sync.FileHashes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sns.model.NotFoundException;
import software.amazon.awssdk.services.sns.model.Subscription;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * How commands reach the agents of a namespace's EC2 boxes: one SNS topic per namespace,
 * {@code cgrender-<hash of the namespace>} (made on first use: CreateTopic of the same name and tags answers the
 * topic that exists, so clients making it at the same moment all get the one topic), and one SQS queue per box,
 * {@code cgrender-<hash of the namespace>-<instance id>}, made at launch right after the instance id exists, subscribed
 * to the topic with raw message delivery, long-polled (20 s) by the box's agent. The queue's policy lets only the
 * namespace's topic (and principals of the account, through their own IAM policies) send to it; its tags say whose
 * it is ({@link Tags#AGENT_OF}: what IAM calls the box's {@code aws:userid}, so that the instance profile lets a box
 * receive from its own queue only) and which subscription feeds it, removed with it at terminate.
 * <p>
 * Names carry a hash of the namespace because SNS and SQS names allow neither its slashes nor its dots; the tags
 * carry the namespace itself.
 */
final class AgentChannel {

    /** How long a command waits in a queue: a trigger older than this is no use. */
    static final int RETENTION_SECONDS = 3600;
    static final int LONG_POLL_SECONDS = 20;

    private final AwsClients aws;
    private final Namespace namespace;

    AgentChannel(AwsClients aws, Namespace namespace) {
        this.aws = aws;
        this.namespace = namespace;
    }

    /** {@code cgrender-<16 hex digits of the namespace's SHA-256>}: the topic, and the start of every queue name. */
    static String topicName(Namespace namespace) {
        return "cgrender-" + FileHashes.sha256Hex(namespace.toString()).substring(0, 16);
    }

    /** What the names of the namespace's queues start with; the instance id follows. */
    static String queuePrefix(Namespace namespace) {
        return topicName(namespace) + "-";
    }

    static String queueName(Namespace namespace, String instanceId) {
        return queuePrefix(namespace) + instanceId;
    }

    /** The instance id of a queue of {@code namespace}, from its URL or name; empty for another's. */
    static Optional<String> instanceOf(Namespace namespace, String queueUrlOrName) {
        String name = queueUrlOrName.substring(queueUrlOrName.lastIndexOf('/') + 1);
        name = name.substring(name.lastIndexOf(':') + 1);
        return name.startsWith(queuePrefix(namespace)) && InstanceWaits.isInstanceId(name.substring(
                queuePrefix(namespace).length())) ? Optional.of(name.substring(queuePrefix(namespace).length()))
                : Optional.empty();
    }

    /** The namespace's topic, made unless it exists; its ARN. */
    String ensureTopic() {
        return aws.call("making the SNS topic " + topicName(namespace) + " of " + namespace, () -> aws.sns()
                .createTopic(r -> r.name(topicName(namespace)).tags(
                        software.amazon.awssdk.services.sns.model.Tag.builder().key(Tags.NAMESPACE)
                                .value(namespace.toString()).build()))
                .topicArn());
    }

    /** The ARN the namespace's topic has (whether or not it exists), for an account and region. */
    String topicArn(String account) {
        return "arn:" + aws.partition() + ":sns:" + aws.region().id() + ":" + account + ":" + topicName(namespace);
    }

    /** A box's queue, as far as it was made: the URL the moment it exists, then the subscription. */
    static final class Queue {
        String url;
        String arn;
        String subscription;
    }

    /**
     * Makes the queue of {@code instanceId}, owned by the role session {@code userId} ({@code <role id>:<instance
     * id>}), and subscribes it to {@code topicArn}. {@code made} holds what exists so far, for the caller's cleanup.
     */
    void create(String instanceId, String userId, String topicArn, String account, Queue made) {
        String name = queueName(namespace, instanceId);
        String doing = "making the agent queue " + name + " of box " + instanceId;
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put(Tags.NAMESPACE, namespace.toString());
        tags.put(Tags.AGENT_OF, userId);
        made.url = aws.call(doing, () -> aws.sqs().createQueue(r -> r.queueName(name).tags(tags).attributes(Map.of(
                QueueAttributeName.RECEIVE_MESSAGE_WAIT_TIME_SECONDS, Integer.toString(LONG_POLL_SECONDS),
                QueueAttributeName.MESSAGE_RETENTION_PERIOD, Integer.toString(RETENTION_SECONDS)))).queueUrl());
        made.arn = "arn:" + aws.partition() + ":sqs:" + aws.region().id() + ":" + account + ":" + name;
        aws.call(doing, () -> aws.sqs().setQueueAttributes(r -> r.queueUrl(made.url).attributes(Map.of(
                QueueAttributeName.POLICY, queuePolicy(made.arn, topicArn, account, aws.partition())))));
        made.subscription = aws.call("subscribing " + name + " to " + topicArn, () -> aws.sns().subscribe(r -> r
                .topicArn(topicArn).protocol("sqs").endpoint(made.arn).returnSubscriptionArn(true)
                .attributes(Map.of("RawMessageDelivery", "true"))).subscriptionArn());
        aws.call(doing, () -> aws.sqs().tagQueue(r -> r.queueUrl(made.url).tags(Map.of(Tags.AGENT_SUBSCRIPTION,
                made.subscription))));
    }

    /**
     * The queue's policy: SendMessage from the namespace's topic, and from principals of the account (whose own IAM
     * policies must allow it too); nobody else.
     */
    static String queuePolicy(String queueArn, String topicArn, String account, String partition) {
        Map<String, Object> fromTopic = new LinkedHashMap<>();
        fromTopic.put("Sid", "FromTheNamespacesTopic");
        fromTopic.put("Effect", "Allow");
        fromTopic.put("Principal", Map.of("Service", "sns.amazonaws.com"));
        fromTopic.put("Action", "sqs:SendMessage");
        fromTopic.put("Resource", queueArn);
        fromTopic.put("Condition", Map.of("ArnEquals", Map.of("aws:SourceArn", topicArn)));
        Map<String, Object> fromAccount = new LinkedHashMap<>();
        fromAccount.put("Sid", "FromThisAccount");
        fromAccount.put("Effect", "Allow");
        fromAccount.put("Principal", Map.of("AWS", "arn:" + partition + ":iam::" + account + ":root"));
        fromAccount.put("Action", "sqs:SendMessage");
        fromAccount.put("Resource", queueArn);
        return Json.write(Map.of("Version", "2012-10-17", "Statement", List.of(fromTopic, fromAccount)));
    }

    /** The URL of the queue of {@code instanceId}; empty when it has none. */
    Optional<String> queueUrl(String instanceId) {
        try {
            return Optional.of(aws.sqs().getQueueUrl(r -> r.queueName(queueName(namespace, instanceId))).queueUrl());
        } catch (QueueDoesNotExistException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw aws.explain("looking up the agent queue of box " + instanceId, e);
        }
    }

    /** Removes the queue of {@code instanceId} and its subscription; what is gone already is skipped. */
    void delete(String instanceId) {
        queueUrl(instanceId).ifPresent(url -> delete(url, Optional.empty()));
    }

    /** Removes a queue (and the subscription its tag names, or {@code subscription}); idempotent. */
    void delete(String url, Optional<String> subscription) {
        subscription.or(() -> subscriptionOf(url)).ifPresent(this::unsubscribe);
        try {
            aws.sqs().deleteQueue(r -> r.queueUrl(url));
        } catch (QueueDoesNotExistException gone) {
            // already gone
        } catch (SdkException e) {
            throw aws.explain("deleting the agent queue " + url, e);
        }
    }

    /** The subscription a queue's tag names; empty when it names none or the queue is gone. */
    private Optional<String> subscriptionOf(String url) {
        try {
            return Optional.ofNullable(aws.sqs().listQueueTags(r -> r.queueUrl(url)).tags()
                    .get(Tags.AGENT_SUBSCRIPTION));
        } catch (QueueDoesNotExistException gone) {
            return Optional.empty();
        } catch (SdkException e) {
            throw aws.explain("reading the tags of the agent queue " + url, e);
        }
    }

    void unsubscribe(String subscriptionArn) {
        try {
            aws.sns().unsubscribe(r -> r.subscriptionArn(subscriptionArn));
        } catch (NotFoundException gone) {
            // already gone
        } catch (SdkException e) {
            throw aws.explain("removing the subscription " + subscriptionArn, e);
        }
    }

    /** Sends one command line to the queue of {@code instanceId}. */
    void send(String instanceId, String line) {
        String url = queueUrl(instanceId).orElseThrow(() -> new CgrenderException("box " + instanceId + " has no"
                + " agent queue (" + queueName(namespace, instanceId) + "): it was launched without the namespace's"
                + " instance profile, or by an older cgrender"));
        aws.call("sending '" + line + "' to the agent of " + instanceId,
                () -> aws.sqs().sendMessage(r -> r.queueUrl(url).messageBody(line)));
    }

    /** Publishes one command line to every box of the namespace; false when the namespace has no topic (no box). */
    boolean publish(String line, String account) {
        try {
            aws.sns().publish(r -> r.topicArn(topicArn(account)).message(line));
            return true;
        } catch (NotFoundException none) {
            return false;
        } catch (SdkException e) {
            throw aws.explain("publishing '" + line + "' to the boxes of " + namespace, e);
        }
    }

    /** What is left of the namespace's channel for boxes that are gone: queues, and subscriptions without a queue. */
    record Leftover(String kind, String id, String why) {
    }

    List<Leftover> leftovers(Set<String> liveInstances, String account) {
        List<Leftover> found = new ArrayList<>();
        List<String> urls = aws.call("listing the agent queues of " + namespace, () -> aws.sqs()
                .listQueuesPaginator(r -> r.queueNamePrefix(queuePrefix(namespace))).queueUrls().stream().toList());
        List<String> names = new ArrayList<>();
        for (String url : urls) {
            Optional<String> instance = instanceOf(namespace, url);
            instance.ifPresent(i -> names.add(queueName(namespace, i)));
            if (instance.isPresent() && !liveInstances.contains(instance.get())) {
                found.add(new Leftover(Ec2Garbage.AGENT_QUEUE, url, "its box " + instance.get() + " is gone"));
            }
        }
        List<Subscription> subscriptions;
        try {
            subscriptions = aws.sns().listSubscriptionsByTopicPaginator(r -> r.topicArn(topicArn(account)))
                    .subscriptions().stream().toList();
        } catch (NotFoundException noTopic) {
            return found;
        } catch (SdkException e) {
            throw aws.explain("listing the subscriptions of " + topicName(namespace), e);
        }
        for (Subscription s : subscriptions) {
            Optional<String> instance = instanceOf(namespace, String.valueOf(s.endpoint()));
            if (instance.isPresent() && !names.contains(queueName(namespace, instance.get()))
                    && !liveInstances.contains(instance.get())) {
                found.add(new Leftover(Ec2Garbage.AGENT_SUBSCRIPTION, s.subscriptionArn(), "its queue and box "
                        + instance.get() + " are gone"));
            }
        }
        return found;
    }

    boolean topicExists(String account) {
        try {
            aws.sns().getTopicAttributes(r -> r.topicArn(topicArn(account)));
            return true;
        } catch (NotFoundException none) {
            return false;
        } catch (SdkException e) {
            throw aws.explain("looking up the SNS topic " + topicName(namespace), e);
        }
    }

    /** Removes the namespace's topic (and with it what is subscribed); idempotent. */
    void deleteTopic(String account) {
        try {
            aws.sns().deleteTopic(r -> r.topicArn(topicArn(account)));
        } catch (NotFoundException gone) {
            // already gone
        } catch (SdkException e) {
            throw aws.explain("deleting the SNS topic " + topicName(namespace), e);
        }
    }
}
