package dev.mosvm.api;

/**
 * Asked of a pool's founder: name {@code node} an admitter ({@code add}), withdraw its grant
 * ({@code remove}), or {@code list} the admitters (answer: {@link AdmittersList}).
 */
public record AdmittersRequest(String action, String node) {
    public static AdmittersRequest add(String node) {
        return new AdmittersRequest("add", node);
    }

    public static AdmittersRequest remove(String node) {
        return new AdmittersRequest("remove", node);
    }

    public static AdmittersRequest list() {
        return new AdmittersRequest("list", null);
    }
}
