package dev.mosvm.manager.hostfolders;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.mosvm.api.Json;
import dev.mosvm.manager.instance.InstanceLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * folders.json in an instance's directory: the folders it shows, whose they are on the host,
 * and the appliance user they belong to there (its uid and gid, as the appliance gave them).
 * Absent: the instance was never given folders; {@code folders} empty: {@code --mount none}.
 * {@code homeOnly}: folders its jobs see at home only (the default home: not offered to the pool).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record FolderSettings(List<String> folders, List<String> homeOnly, String hostUser, int hostUid, int hostGid, String applianceUser,
                             int applianceUid, int applianceGid) {
    public FolderSettings {
        homeOnly = homeOnly == null ? List.of() : homeOnly;
    }

    /** The folders; those in {@code homeOnly} (the default home) are not in the tree other nodes see. */
    public List<HostFolder> parsed() {
        return folders.stream().map(HostFolder::parse)
                .map(f -> homeOnly.contains(f.path().toString()) ? new HostFolder(f.path(), f.writable(), false) : f).toList();
    }

    FolderSettings withApplianceIds(int uid, int gid) {
        return new FolderSettings(folders, homeOnly, hostUser, hostUid, hostGid, applianceUser, uid, gid);
    }

    static Optional<FolderSettings> load(InstanceLayout l) throws IOException {
        Path f = l.folders();
        return Files.isRegularFile(f) ? Optional.of(Json.MAPPER.readValue(f.toFile(), FolderSettings.class)) : Optional.empty();
    }

    void save(InstanceLayout l) throws IOException {
        Path tmp = l.dir().resolve(InstanceLayout.FOLDERS + ".tmp");
        Files.writeString(tmp, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(this));
        Files.move(tmp, l.folders(), java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
