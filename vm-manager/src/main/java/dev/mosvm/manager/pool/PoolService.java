package dev.mosvm.manager.pool;

import dev.mosvm.api.AdmittersList;
import dev.mosvm.api.AdmittersRequest;
import dev.mosvm.api.AgentClient;
import dev.mosvm.api.AgentException;
import dev.mosvm.api.AgentFacts;
import dev.mosvm.api.JoinRequest;
import dev.mosvm.api.JoinTokenList;
import dev.mosvm.api.JoinTokenRequest;
import dev.mosvm.api.NodeState;
import dev.mosvm.api.PinnedCertificateTrust;
import dev.mosvm.api.PoolInitRequest;
import dev.mosvm.api.PoolInitResponse;
import dev.mosvm.api.PoolMembership;
import dev.mosvm.api.PoolView;
import dev.mosvm.api.RemoveResponse;
import dev.mosvm.api.ExitCodes;
import dev.mosvm.manager.network.HostPort;
import dev.mosvm.manager.MosvmException;
import dev.mosvm.manager.appliance.AgentAccess;
import dev.mosvm.manager.appliance.RunningInstance;
import java.nio.file.Files;
import java.time.Duration;

/** Pool formation from the host: found a pool, join one with a token, remove a node, leave. */
public final class PoolService {
    private final AgentAccess agents;

    public PoolService(AgentAccess agents) {
        this.agents = agents;
    }

    /** A founded pool: its join token, the address other workstations join through, and its overlay mode. */
    public record Founded(String token, String joinAddress, String overlay, boolean plainPageStreams) {}

    /**
     * Founds a pool on the local appliance, over the overlay {@code overlay} asks for
     * ({@link PoolInitRequest#OVERLAY_WIREGUARD} or {@link PoolInitRequest#OVERLAY_PLAIN}; null:
     * WireGuard for an appliance behind QEMU's NAT, plain otherwise). {@code plainPageStreams}
     * null: migrations' pages go unsealed over the overlay, which seals every packet already
     * (sealing them again costs several times a raw transfer under emulation), sealed otherwise.
     */
    public Founded init(String instance, String pool, Duration tokenTtl, int tokenUses, long intervalMillis, int window, Boolean plainPageStreams,
                        String overlay) throws Exception {
        RunningInstance here = agents.running(instance);
        String mode = overlayMode(overlay, here);
        boolean plainPages = plainPageStreams != null ? plainPageStreams : mode.equals(PoolInitRequest.OVERLAY_WIREGUARD);
        here.poolable();
        AgentClient local = AgentAccess.clientAt(here.layout(), here.address(), here.agentPort(), Duration.ofSeconds(10), true);
        PoolInitResponse r;
        try {
            if (mode.equals(PoolInitRequest.OVERLAY_WIREGUARD) && local.facts().overlayKey() == null) throw noOverlayKey(instance);
            r = local.initPool(new PoolInitRequest(pool, tokenTtl.toSeconds(), intervalMillis, window, plainPages, tokenUses, mode));
        } catch (AgentException e) {
            throw agentRefused("cannot found pool '" + pool + "'", e);
        }
        String certHash = PinnedCertificateTrust.sha256(PinnedCertificateTrust.parsePem(
                Files.readString(here.layout().agentCert())));
        return new Founded(new JoinToken(r.pool(), r.joinSecret(), certHash).toString(), here.joinAddress(), mode, plainPages);
    }

    /**
     * The overlay a pool founded on {@code here} gets: the one asked for, or by default WireGuard
     * behind QEMU's NAT and plain elsewhere; plain behind the NAT is refused (exit 2), since other
     * workstations reach such an appliance only over the overlay.
     */
    static String overlayMode(String requested, RunningInstance here) {
        if (requested == null) return here.behindNat() ? PoolInitRequest.OVERLAY_WIREGUARD : PoolInitRequest.OVERLAY_PLAIN;
        if (!requested.equals(PoolInitRequest.OVERLAY_WIREGUARD) && !requested.equals(PoolInitRequest.OVERLAY_PLAIN)) {
            throw MosvmException.invalid("invalid --overlay '" + requested + "': use wireguard or plain");
        }
        if (requested.equals(PoolInitRequest.OVERLAY_PLAIN) && here.behindNat()) {
            throw MosvmException.invalid("--overlay plain: appliance '" + here.name() + "' runs under the qemu driver, behind QEMU's "
                    + "user-mode NAT, where other workstations reach it only over the WireGuard overlay; leave --overlay out or use wireguard");
        }
        return requested;
    }

    private static MosvmException noOverlayKey(String instance) {
        return MosvmException.state("appliance '" + instance + "' runs an agent without the WireGuard overlay (it reports no overlay key)",
                "rebuild its image and bring it up again: mosvm destroy " + instance + " && mosvm up " + instance);
    }

    /** Issues, lists or revokes the founder's join tokens; a new token comes back whole (pool, secret, the founder's certificate). */
    public JoinTokenList tokens(String instance, JoinTokenRequest req) throws Exception {
        RunningInstance here = agents.running(instance).poolable();
        AgentClient local = AgentAccess.clientAt(here.layout(), here.address(), here.agentPort(), Duration.ofSeconds(10), true);
        JoinTokenList r;
        try {
            r = local.tokens(req);
        } catch (AgentException e) {
            throw agentRefused("cannot " + req.action() + " join tokens", e);
        }
        if (r.issued() == null) return r;
        String certHash = PinnedCertificateTrust.sha256(PinnedCertificateTrust.parsePem(Files.readString(here.layout().agentCert())));
        return new JoinTokenList(r.pool(), new JoinToken(r.pool(), r.issued(), certHash).toString(), r.tokens());
    }

    /** The address other workstations join the local appliance's pool through (LAN:PORT behind QEMU's NAT). */
    public String joinAddress(String instance) {
        return agents.running(instance).joinAddress();
    }

    /** Joins the pool that the appliance at {@code address} belongs to, then waits until a peer is seen. */
    public PoolView join(String instance, HostPort address, JoinToken token, Duration wait) throws Exception {
        RunningInstance here = agents.running(instance).poolable();
        AgentClient local = AgentAccess.clientAt(here.layout(), here.address(), here.agentPort(), Duration.ofSeconds(10), true);
        // asked before the founder spends a use of the token on it
        String already;
        AgentFacts facts;
        try {
            already = local.nodes().pool();
            facts = local.facts();
        } catch (AgentException e) {
            throw agentRefused("the local appliance does not answer", e);
        }
        if (already != null) throw MosvmException.state("appliance '" + instance + "' is already in pool " + already, "leave it first: mosvm leave -i " + instance);
        if (facts.identityKey() == null) {
            throw MosvmException.state("appliance '" + instance + "' runs an agent too old to join a pool (it has no identity key)",
                    "rebuild its image and bring it up again: mosvm destroy " + instance + " && mosvm up " + instance);
        }
        if (here.behindNat() && facts.overlayKey() == null) throw noOverlayKey(instance);
        // the admitter certifies and seats the joiner and adds it to its overlay (a few processes: seconds under TCG)
        AgentClient seed = new AgentClient(address.host(), address.port(), new PinnedCertificateTrust(token.certSha256()), null,
                Duration.ofSeconds(30));
        PoolMembership m;
        try {
            m = seed.join(new JoinRequest(token.secret(), instance, facts.identityKey(), facts.overlayKey(), facts.overlayEndpoint()));
        } catch (AgentException e) {
            if (e.status() == 403) {
                throw new MosvmException(ExitCodes.BAD_STATE, "the pool at " + address + " refused the token: it is wrong, used up, revoked or has expired",
                        "ask the founder's or an admitter's workstation for a fresh one: mosvm pool token create");
            }
            if (String.valueOf(e.getMessage()).contains("does not match the one pinned")) {
                throw new MosvmException(ExitCodes.BAD_STATE, address + " is not the node this token was made for "
                        + "(its certificate does not match the token)", "check the address, or use the token printed for it");
            }
            if (e.status() < 0) {
                throw new MosvmException(ExitCodes.FAILED, "cannot reach the pool at " + address
                        + ": " + e.getMessage().replaceFirst("^agent at \\S+ unreachable: ", ""), "is the address right and the appliance up?");
            }
            throw agentRefused("join failed", e);
        }
        if (!token.pool().equals(m.pool())) {
            throw new MosvmException(ExitCodes.BAD_STATE, address + " belongs to pool '" + m.pool() + "', not '" + token.pool() + "'", null);
        }
        checkOverlay(m, here, address);
        try {
            // bringing the overlay and gossip up takes a dozen processes: under TCG on a loaded host, more than 10 s
            AgentAccess.clientAt(here.layout(), here.address(), here.agentPort(), Duration.ofSeconds(60), true).configurePool(m);
        } catch (AgentException e) {
            throw agentRefused("the local appliance could not join", e);
        }
        long deadline = System.nanoTime() + wait.toNanos();
        PoolView v = local.nodes();
        while (System.nanoTime() < deadline && v.nodes().stream().filter(n -> n.state() == NodeState.ALIVE).count() < 2) {
            Thread.sleep(500);
            v = local.nodes();
        }
        return v;
    }

    /**
     * A pool without an overlay takes no appliance behind QEMU's NAT: its members could not
     * reach it. Told after the admission (the token says nothing of the pool's overlay), before
     * the local agent is configured.
     */
    static void checkOverlay(PoolMembership m, RunningInstance here, HostPort address) {
        if (m.overlayOn() || !here.behindNat()) return;
        throw MosvmException.state("pool '" + m.pool() + "' at " + address + " was founded without an overlay; appliance '" + here.name()
                + "' is behind QEMU's NAT and can join only a pool founded with `mosvm pool init --overlay wireguard`",
                "'" + here.name() + "' stays out of the pool (the founder counted one use of the token)");
    }

    /** Names, withdraws or lists admitters; only the founder's appliance can. */
    public AdmittersList admitters(String instance, AdmittersRequest req) throws Exception {
        try {
            return agents.client(instance, Duration.ofSeconds(30), true).admitters(req);
        } catch (AgentException e) {
            throw agentRefused("cannot " + req.action() + " admitters", e);
        }
    }

    /** Expels {@code node}; the founder's appliance or an admitter's can. */
    public RemoveResponse remove(String instance, String node) throws Exception {
        try {
            return agents.client(instance, Duration.ofSeconds(60), true).removeFromPool(node); // an admitter tells each member it reaches
        } catch (AgentException e) {
            throw agentRefused("cannot remove " + node, e);
        }
    }

    public String leave(String instance) throws Exception {
        try {
            agents.client(instance, Duration.ofSeconds(10), true).leavePool();
        } catch (AgentException e) {
            throw agentRefused("cannot leave", e);
        }
        return "instance '" + instance + "' left its pool";
    }

    static MosvmException agentRefused(String what, AgentException e) {
        return new MosvmException(ExitCodes.BAD_STATE, what + ": " + e.getMessage(), null);
    }
}
