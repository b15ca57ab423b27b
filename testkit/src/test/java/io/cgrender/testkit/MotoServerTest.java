package io.cgrender.testkit;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** moto on loopback: it serves the AWS APIs, forgets everything on reset, and is gone after close. */
class MotoServerTest {

    @Test
    void servesResetsAndStops() throws Exception {
        MotoServer moto = MotoServer.start();
        int port = moto.port();
        try {
            assertTrue(moto.endpoint().startsWith("http://127.0.0.1:"), moto.endpoint());
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(moto.endpoint() + "/"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .header("Authorization", "AWS4-HMAC-SHA256 Credential=" + MotoServer.ACCESS_KEY
                            + "/20250101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0")
                    .POST(HttpRequest.BodyPublishers.ofString("Action=CreateKeyPair&Version=2016-11-15"
                            + "&KeyName=moto-server-test"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, created.statusCode(), created.body());
            assertTrue(moto.data().contains("moto-server-test"), "data.json shows the key pair");

            moto.reset();
            assertFalse(moto.data().contains("moto-server-test"), "reset forgets it");
        } finally {
            moto.close();
        }
        assertFalse(moto.isRunning());
        assertFalse(FreePort.isListening(port), "the port is free again");
    }
}
