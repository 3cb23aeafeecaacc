package dev.mosvm.manager.instance;

import java.nio.file.Path;

/**
 * Every file under {@code $MOSVM_HOME/<name>/}. This class is the contract; docs/internals.md
 * describes it in prose. Nothing else builds paths inside an instance directory.
 */
public record InstanceLayout(Path dir) {
    /** Instance configuration (YAML): name, cpus, memory, accelerator, image key, MAC. */
    public static final String CONFIG = "instance.yaml";
    /** Copy-on-write overlay over the cached appliance disk. */
    public static final String DISK = "disk.qcow2";
    /** What the guest receives through fw_cfg: node name, secret, TLS identity. Mode 0600. */
    public static final String GUEST_CONFIG = "guest-config.json";
    /** The agent's TLS certificate, pinned by the host. */
    public static final String AGENT_CERT = "agent.pem";
    /** The guest's SSH host key (OpenSSH format, mode 0600), handed over through fw_cfg. */
    public static final String SSH_HOST_KEY = "ssh_host_ed25519_key";
    /** That key's public half as a known_hosts line, so `mosvm ssh` checks whom it reaches. */
    public static final String KNOWN_HOSTS = "known_hosts";
    /** Serial console output, written by virtlogd, truncated at each start. */
    public static final String SERIAL_LOG = "serial.log";
    /** The libvirt domain definition last used (for reference; libvirt holds the live one). */
    public static final String DOMAIN_XML = "domain.xml";
    /** Timings of the last `up` (define, boot, agent), for benchmarks and `status`. */
    public static final String TIMINGS = "timings.json";
    /** The socket of `mosvm ssh`'s shared connection to the running guest (OpenSSH ControlMaster). */
    public static final String SSH_CONTROL = "ssh.sock";
    /** The qemu driver's definition of the VM (JSON): QEMU's arguments and the ports it forwards. */
    public static final String QEMU_DEFINITION = "qemu.json";
    /** The running QEMU's process id (the qemu driver), written by QEMU, which removes it as it begins to exit. */
    public static final String QEMU_PID = "qemu.pid";
    /** The process id of the QEMU the qemu driver started, kept until that process is gone (QEMU's own file goes first). */
    public static final String QEMU_PROCESS = "qemu.process";
    /** QEMU's control socket (QMP), the qemu driver's on Linux and macOS. */
    public static final String QMP_SOCKET = "qmp.sock";
    /** What QEMU printed as it started (the qemu driver). */
    public static final String QEMU_LOG = "qemu.log";

    /** The host folders the instance shows (hostfolders/FolderSettings). */
    public static final String FOLDERS = "folders.json";
    /** The pid of the process that keeps the folders mounted, and its log. */
    public static final String FOLDERS_PID = "folders.pid";
    public static final String FOLDERS_LOG = "folders.log";
    /** Locked by the running keeper for its lifetime: there is one per instance. */
    public static final String FOLDERS_LOCK = "folders.lock";
    public String name() { return dir.getFileName().toString(); }
    public Path folders() { return dir.resolve(FOLDERS); }
    public Path foldersPid() { return dir.resolve(FOLDERS_PID); }
    public Path foldersLog() { return dir.resolve(FOLDERS_LOG); }
    public Path foldersLock() { return dir.resolve(FOLDERS_LOCK); }
    public Path config() { return dir.resolve(CONFIG); }
    public Path disk() { return dir.resolve(DISK); }
    public Path guestConfig() { return dir.resolve(GUEST_CONFIG); }
    public Path agentCert() { return dir.resolve(AGENT_CERT); }
    public Path serialLog() { return dir.resolve(SERIAL_LOG); }
    public Path domainXml() { return dir.resolve(DOMAIN_XML); }
    public Path timings() { return dir.resolve(TIMINGS); }
    public Path sshHostKey() { return dir.resolve(SSH_HOST_KEY); }
    public Path knownHosts() { return dir.resolve(KNOWN_HOSTS); }
    public Path sshControl() { return dir.resolve(SSH_CONTROL); }
    public Path qemuDefinition() { return dir.resolve(QEMU_DEFINITION); }
    public Path qemuPid() { return dir.resolve(QEMU_PID); }
    public Path qemuProcess() { return dir.resolve(QEMU_PROCESS); }
    public Path qmpSocket() { return dir.resolve(QMP_SOCKET); }
    public Path qemuLog() { return dir.resolve(QEMU_LOG); }
}
