package dev.mosvm.api;

/**
 * The host-to-agent wire contract: one HTTPS endpoint per operation, JSON bodies,
 * every request authenticated with the instance secret as a bearer token.
 * Paths are versioned; only append new ones.
 */
public final class AgentProtocol {
    private AgentProtocol() {}

    /** TCP port the agent listens on inside the guest. */
    public static final int PORT = 7443;

    /** GET: the node's facts ({@link AgentFacts}). */
    public static final String FACTS = "/v1/facts";
    /** POST: ask the agent to power the guest off cleanly. */
    public static final String SHUTDOWN = "/v1/shutdown";
    /** GET: the pool as this agent sees it ({@link PoolView}). */
    public static final String NODES = "/v1/nodes";
    /** GET: whether this node balances ({@link BalanceState}); POST a BalanceState to turn it on or off. */
    public static final String BALANCE = "/v1/balance";
    /** POST: leave the pool now (peers drop this node at once). */
    public static final String LEAVE = "/v1/pool/leave";
    /** POST {@link PoolInitRequest}: found a pool with this node as its first member. */
    public static final String POOL_INIT = "/v1/pool/init";
    /** POST {@link JoinRequest}, authenticated by the join token, not the instance secret. */
    public static final String POOL_JOIN = "/v1/pool/join";
    /** POST {@link PoolMembership}: become a member (the host passes what a pool handed out). */
    public static final String POOL_CONFIGURE = "/v1/pool/configure";

    /** POST {@link JoinTokenRequest}: on the pool's founder, issue, list or revoke join tokens (answer: {@link JoinTokenList}). */
    public static final String POOL_TOKENS = "/v1/pool/tokens";

    /** POST {@link RemoveRequest}: on the pool's founder, expel a member and rotate the gossip key. */
    public static final String POOL_REMOVE = "/v1/pool/remove";

    /** POST {@link AdmittersRequest}: on the pool's founder, name, withdraw or list admitters (answer: {@link AdmittersList}). */
    public static final String POOL_ADMITTERS = "/v1/pool/admitters";

    /** GET: every job in the pool, oldest first (a JSON array of {@link JobView}), as `mosps` lists them. */
    public static final String JOBS = "/v1/jobs";
    /**
     * POST {@link MigrationRequest}: move a job while it runs, as `migrate` does as root; the
     * answer, when it has moved, is its {@link MigrationRecord}; a move that cannot be made is
     * refused with 409 and the reason in one line.
     */
    public static final String MIGRATE = "/v1/migrate";
    /**
     * POST {@link CheckpointRequest}: take a checkpoint of a running job now, as `migrate JOB
     * checkpoint` does as root; the answer is its {@link CheckpointRecord}, a refusal 409 with
     * the reason in one line, as for {@link #MIGRATE}.
     */
    public static final String CHECKPOINT = "/v1/checkpoint";

    public static final String AUTH_HEADER = "Authorization";
    public static final String BEARER = "Bearer ";

    /** fw_cfg entry the manager fills with the {@link GuestConfig} JSON. */
    public static final String FW_CFG_NAME = "opt/dev.mosvm/config";
    /** fw_cfg entry with the guest's SSH host key (the host pins its public half). */
    public static final String FW_CFG_SSH_HOST_KEY = "opt/dev.mosvm/ssh_host_key";
    /** fw_cfg entry with the public key the guest trusts for root over SSH. */
    public static final String FW_CFG_AUTHORIZED_KEYS = "opt/dev.mosvm/authorized_keys";
    /** Where that entry appears inside the guest (qemu_fw_cfg sysfs). */
    public static final String FW_CFG_GUEST_PATH = "/sys/firmware/qemu_fw_cfg/by_name/" + FW_CFG_NAME + "/raw";

    /** Line the agent prints on the console when it serves requests. */
    public static final String READY_LINE = "mosvm-agent: ready";
}
