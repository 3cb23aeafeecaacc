package dev.mosvm.agent.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mosvm.agent.gossip.GossipCodec.MalformedMessageException;
import dev.mosvm.agent.identity.NodeIdentity;
import dev.mosvm.agent.identity.PoolAuthority;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The certificate exchange's wire format: round trips, limits, and no input that crashes the decoder. */
class CertificateExchangeTest {
    final byte[] cert = PoolAuthority.create("a").certify("lab", "cb", NodeIdentity.ephemeral().publicKey(), 1).encode();

    @Test
    void asksAndAnswersRoundTrip() throws Exception {
        var ask = new CertificateExchange.Ask("10.0.0.2", 7946, List.of("ca", "cb"));
        byte[] bytes = CertificateExchange.encode(ask);
        assertTrue(CertificateExchange.is(bytes));
        assertEquals(ask, CertificateExchange.decode(bytes));
        var answer = (CertificateExchange.Answer) CertificateExchange.decode(CertificateExchange.encode(new CertificateExchange.Answer(List.of(cert, cert))));
        assertEquals(2, answer.certificates().size());
        assertArrayEquals(cert, answer.certificates().get(1));
        assertTrue(!CertificateExchange.is(new byte[] {'M', 'G', 3}), "gossip is not an exchange");
    }

    @Test
    void limitsHoldBothWays() {
        assertThrows(IllegalArgumentException.class, () -> new CertificateExchange.Ask("x", 1, List.of()));
        assertEquals(List.of("ca"), new CertificateExchange.Ask("10.0.0.2", 1, List.of("ca", "ca", "ca")).nodes(), "a name asked twice is answered once");
        byte[] named = CertificateExchange.encode(new CertificateExchange.Ask("example.org", 7946, List.of("ca")));
        assertTrue(assertThrows(MalformedMessageException.class, () -> CertificateExchange.decode(named)).getMessage().contains("not an IP address"),
                "a name would be looked up on the gossip thread");
        assertThrows(IllegalArgumentException.class, () -> new CertificateExchange.Ask("x", 1, java.util.stream.IntStream.range(0, 33).mapToObj(i -> "n" + i).toList()));
        byte[] ask = CertificateExchange.encode(new CertificateExchange.Ask("10.0.0.2", 7946, List.of("ca")));
        byte[] zeroPort = ask.clone();
        zeroPort[4 + 1 + "10.0.0.2".length()] = 0;
        zeroPort[4 + 1 + "10.0.0.2".length() + 1] = 0;
        assertTrue(assertThrows(MalformedMessageException.class, () -> CertificateExchange.decode(zeroPort)).getMessage().contains("reply port"));
        byte[] trailing = java.util.Arrays.copyOf(ask, ask.length + 1);
        assertThrows(MalformedMessageException.class, () -> CertificateExchange.decode(trailing));
        byte[] answer = CertificateExchange.encode(new CertificateExchange.Answer(List.of(cert)));
        byte[] huge = answer.clone();
        huge[5] = (byte) 0xff; // the certificate's length
        assertThrows(MalformedMessageException.class, () -> CertificateExchange.decode(huge));
    }

    @Test
    void mutatedInputIsRefusedAsMalformedAndNothingElse() {
        SplittableRandom r = new SplittableRandom(7);
        byte[][] good = {CertificateExchange.encode(new CertificateExchange.Ask("10.0.0.2", 7946, List.of("ca", "cb"))),
                CertificateExchange.encode(new CertificateExchange.Answer(List.of(cert, cert)))};
        for (int i = 0; i < 10_000; i++) {
            byte[] data = good[i % 2].clone();
            if (i % 3 == 0) data = java.util.Arrays.copyOf(data, r.nextInt(data.length));
            else for (int k = r.nextInt(1, 4); k > 0; k--) data[r.nextInt(data.length)] = (byte) r.nextInt(256);
            try {
                CertificateExchange.decode(data);
            } catch (MalformedMessageException expected) {
                // the one way to refuse
            }
        }
    }
}
