package dev.mosvm.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * The members a pool's founder named admitters: each admits joiners with its own tokens into
 * overlay block {@code 10.77.number.0/24}, and removes members, while the founder is off.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AdmittersList(String pool, List<Admitter> admitters) {
    public record Admitter(String node, int number) {}

    public AdmittersList {
        admitters = admitters == null ? List.of() : List.copyOf(admitters);
    }
}
