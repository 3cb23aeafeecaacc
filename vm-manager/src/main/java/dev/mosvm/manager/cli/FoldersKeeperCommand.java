package dev.mosvm.manager.cli;

import dev.mosvm.manager.hostfolders.FolderKeeper;
import dev.mosvm.manager.hostfolders.FolderSettings;
import dev.mosvm.manager.hostfolders.HostFolders;
import dev.mosvm.manager.hypervisor.Hypervisor;
import dev.mosvm.manager.instance.InstanceLayout;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** The process `mosvm up` leaves behind to hold an instance's host folders (not for users: no help entry). */
@Command(name = HostFolders.KEEPER_COMMAND, hidden = true)
final class FoldersKeeperCommand implements Callable<Integer> {
    @ParentCommand MosvmCommand root;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public Integer call() throws Exception {
        InstanceLayout l = root.store().existing(name);
        FolderSettings s;
        try (Hypervisor hv = root.connect()) {
            s = root.folders(hv).settings(name).orElse(null);
        }
        if (s == null || s.folders().isEmpty()) return 0;
        // one keeper an instance: a second one's sessions would unmount the first's
        try (FileChannel ch = FileChannel.open(l.foldersLock(), StandardOpenOption.CREATE, StandardOpenOption.WRITE); FileLock lock = ch.tryLock()) {
            if (lock == null) {
                System.out.println("another keeper holds the folders of " + name);
                return 1;
            }
            // a connection to the hypervisor for each session: one kept for months would not outlive a libvirtd restart
            new FolderKeeper(name, s, script -> {
                try (Hypervisor hv = root.connect()) {
                    return root.shells(hv).sshCommand(name, false, List.of("sh", "-c", script), false);
                }
            }, System.out).run();
        }
        return 0;
    }
}
