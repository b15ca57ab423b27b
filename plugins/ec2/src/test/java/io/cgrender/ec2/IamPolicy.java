package io.cgrender.ec2;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import software.amazon.awssdk.services.iam.IamClient;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small evaluator of the identity policies cgrender writes, for tests: moto stores IAM policies but never enforces
 * them. It answers whether a policy allows one request (action, resource ARN, request context) and knows exactly what
 * those policies use: Allow and Deny statements, Action and Resource with {@code *}/{@code ?} wildcards and
 * {@code ${key}} policy variables, and the condition operators StringEquals, StringLike, ArnEquals, ArnLike (also as
 * {@code ForAllValues:} and {@code ForAnyValue:}) and Null. Anything else is refused rather than guessed. Public for
 * the command line's tests, which hold the ready policies of {@code docs/iam/} to the calls cgrender makes.
 */
public final class IamPolicy {

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([^}]+)}");

    private final List<Map<String, Object>> statements;

    private IamPolicy(List<Map<String, Object>> statements) {
        this.statements = statements;
    }

    /** A policy document as IAM returns it (URL-encoded) or as written. */
    @SuppressWarnings("unchecked")
    public static IamPolicy parse(String document) {
        String json = document.strip().startsWith("{") ? document : URLDecoder.decode(document, StandardCharsets.UTF_8);
        Map<String, Object> doc = ConfigFactory.parseString(json, ConfigParseOptions.defaults()
                .setSyntax(ConfigSyntax.JSON)).root().unwrapped();
        Object s = doc.get("Statement");
        return new IamPolicy(s instanceof List<?> list ? (List<Map<String, Object>>) list
                : List.of((Map<String, Object>) s));
    }

    /** Whether any inline policy of {@code role} (as IAM holds it) allows the request; see {@link #allows}. */
    static boolean roleAllows(IamClient iam, String role, String action, String resource,
                              Map<String, List<String>> context) {
        return iam.listRolePoliciesPaginator(r -> r.roleName(role)).policyNames().stream()
                .map(name -> parse(iam.getRolePolicy(r -> r.roleName(role).policyName(name)).policyDocument()))
                .anyMatch(p -> p.allows(action, resource, context));
    }

    /** Whether {@code action} on {@code resource} is allowed, with {@code context} the request's condition keys. */
    public boolean allows(String action, String resource, Map<String, List<String>> context) {
        boolean allowed = false;
        for (Map<String, Object> s : statements) {
            if (s.containsKey("NotAction") || s.containsKey("NotResource") || s.containsKey("Principal")) {
                throw new IllegalArgumentException("not an element of cgrender's policies: " + s);
            }
            boolean applies = strings(s.get("Action")).stream().anyMatch(a -> glob(a.toLowerCase(Locale.ROOT))
                    .matcher(action.toLowerCase(Locale.ROOT)).matches())
                    && strings(s.get("Resource")).stream().anyMatch(r -> substitute(r, context)
                    .map(p -> glob(p).matcher(resource).matches()).orElse(false))
                    && conditions(s.get("Condition"), context);
            if (applies && "Deny".equals(s.get("Effect"))) {
                return false;
            }
            allowed |= applies && "Allow".equals(s.get("Effect"));
        }
        return allowed;
    }

    /** Each statement as a policy of its own, in order. */
    public List<IamPolicy> statements() {
        return statements.stream().map(s -> new IamPolicy(List.of(s))).toList();
    }

    /** The statement's Sid (of the first statement), or empty. */
    public String sid() {
        return statements.isEmpty() ? "" : String.valueOf(statements.get(0).getOrDefault("Sid", ""));
    }

    /** The actions the statements name, as written (wildcards included). */
    public List<String> actions() {
        return statements.stream().flatMap(s -> strings(s.get("Action")).stream()).toList();
    }

    @SuppressWarnings("unchecked")
    private static boolean conditions(Object condition, Map<String, List<String>> context) {
        if (condition == null) {
            return true;
        }
        for (Map.Entry<String, Object> op : ((Map<String, Object>) condition).entrySet()) {
            for (Map.Entry<String, Object> key : ((Map<String, Object>) op.getValue()).entrySet()) {
                if (!condition(op.getKey(), context.get(key.getKey()), strings(key.getValue()), context)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean condition(String operator, List<String> actual, List<String> wanted,
                                     Map<String, List<String>> context) {
        if (operator.equals("Null")) {
            return Boolean.parseBoolean(wanted.get(0)) == (actual == null || actual.isEmpty());
        }
        String set = operator.contains(":") ? operator.substring(0, operator.indexOf(':')) : "";
        String test = operator.substring(operator.indexOf(':') + 1);
        boolean like = switch (test) {
            case "StringEquals" -> false;
            case "StringLike", "ArnLike", "ArnEquals" -> true;
            default -> throw new IllegalArgumentException("not an operator of cgrender's policies: " + operator);
        };
        List<Pattern> patterns = wanted.stream().map(w -> substitute(w, context)).flatMap(Optional::stream)
                .map(w -> like ? glob(w) : Pattern.compile(Pattern.quote(w))).toList();
        List<String> values = actual == null ? List.of() : actual;
        return switch (set) {
            case "ForAllValues" -> values.stream().allMatch(v -> patterns.stream().anyMatch(p -> p.matcher(v)
                    .matches()));
            case "", "ForAnyValue" -> values.stream().anyMatch(v -> patterns.stream().anyMatch(p -> p.matcher(v)
                    .matches()));
            default -> throw new IllegalArgumentException("not an operator of cgrender's policies: " + operator);
        };
    }

    /** {@code text} with its policy variables replaced from {@code context}; empty when one is not there. */
    private static Optional<String> substitute(String text, Map<String, List<String>> context) {
        Matcher m = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            List<String> value = context.get(m.group(1));
            if (value == null || value.size() != 1) {
                return Optional.empty();
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value.get(0)));
        }
        m.appendTail(out);
        return Optional.of(out.toString());
    }

    private static Pattern glob(String pattern) {
        StringBuilder regex = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            regex.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }

    private static List<String> strings(Object value) {
        return value instanceof List<?> list ? list.stream().map(String::valueOf).toList()
                : List.of(String.valueOf(value));
    }
}
