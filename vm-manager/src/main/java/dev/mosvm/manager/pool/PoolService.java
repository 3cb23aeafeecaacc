package dev.mosvm.manager.pool;

import dev.mosvm.api.AgentClient;
import dev.mosvm.api.AgentException;
import dev.mosvm.api.AgentProtocol;
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

    /** Founds a pool on the local appliance; returns the join token and the address to join through. */
    public String[] init(String instance, String pool, Duration tokenTtl, int tokenUses, long intervalMillis, int window, boolean plainPageStreams)
            throws Exception {
        RunningInstance here = agents.running(instance).poolable();
        AgentClient local = AgentAccess.clientAt(here.layout(), here.address(), here.agentPort(), Duration.ofSeconds(10), true);
        PoolInitResponse r;
        try {
            r = local.initPool(new PoolInitRequest(pool, tokenTtl.toSeconds(), intervalMillis, window, plainPageStreams, tokenUses));
        } catch (AgentException e) {
            throw agentRefused("cannot found pool '" + pool + "'", e);
        }
        String certHash = PinnedCertificateTrust.sha256(PinnedCertificateTrust.parsePem(
                Files.readString(here.layout().agentCert())));
        return new String[] {new JoinToken(r.pool(), r.joinSecret(), certHash).toString(), here.address()};
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

    /** The address other workstations join the local appliance's pool through. */
    public String address(String instance) {
        return agents.running(instance).address();
    }

    /** Joins the pool that {@code address} belongs to, then waits until a peer is seen. */
    public PoolView join(String instance, String address, JoinToken token, Duration wait) throws Exception {
        RunningInstance here = agents.running(instance).poolable();
        AgentClient local = AgentAccess.clientAt(here.layout(), here.address(), here.agentPort(), Duration.ofSeconds(10), true);
        // asked before the founder spends a use of the token on it
        String already;
        String identityKey;
        try {
            already = local.nodes().pool();
            identityKey = local.facts().identityKey();
        } catch (AgentException e) {
            throw agentRefused("the local appliance does not answer", e);
        }
        if (already != null) throw MosvmException.state("appliance '" + instance + "' is already in pool " + already, "leave it first: mosvm leave -i " + instance);
        if (identityKey == null) {
            throw MosvmException.state("appliance '" + instance + "' runs an agent too old to join a pool (it has no identity key)",
                    "rebuild its image and bring it up again: mosvm destroy -i " + instance + " && mosvm up -i " + instance);
        }
        AgentClient seed = new AgentClient(address, AgentProtocol.PORT, new PinnedCertificateTrust(token.certSha256()), null,
                Duration.ofSeconds(10));
        PoolMembership m;
        try {
            m = seed.join(new JoinRequest(token.secret(), instance, identityKey));
        } catch (AgentException e) {
            if (e.status() == 403) {
                throw new MosvmException(ExitCodes.BAD_STATE, "the pool at " + address + " refused the token: it is wrong, used up, revoked or has expired",
                        "ask the founder's workstation for a fresh one: mosvm pool token create");
            }
            if (String.valueOf(e.getMessage()).contains("does not match the one pinned")) {
                throw new MosvmException(ExitCodes.BAD_STATE, address + " is not the node this token was made for "
                        + "(its certificate does not match the token)", "check the address, or use the token printed for it");
            }
            if (e.status() < 0) {
                throw new MosvmException(ExitCodes.FAILED, "cannot reach the pool at " + address + ":" + AgentProtocol.PORT
                        + ": " + e.getMessage().replaceFirst("^agent at \\S+ unreachable: ", ""), "is the address right and the appliance up?");
            }
            throw agentRefused("join failed", e);
        }
        if (!token.pool().equals(m.pool())) {
            throw new MosvmException(ExitCodes.BAD_STATE, address + " belongs to pool '" + m.pool() + "', not '" + token.pool() + "'", null);
        }
        try {
            local.configurePool(m);
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

    /** Expels {@code node}; only the founder's appliance can. */
    public RemoveResponse remove(String instance, String node) throws Exception {
        try {
            return agents.client(instance, Duration.ofSeconds(10), true).removeFromPool(node);
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
