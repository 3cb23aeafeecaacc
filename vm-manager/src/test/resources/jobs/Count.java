/** A Java job for migration tests: a running hash printed step by step, then exit 7. */
public class Count {
    public static void main(String[] args) throws Exception {
        int steps = Integer.parseInt(args[0]);
        long h = 17;
        for (int i = 1; i <= steps; i++) {
            for (int k = 0; k < 200_000; k++) h = h * 31 + k;
            System.out.println(i + " " + h);
            Thread.sleep(300);
        }
        System.exit(7);
    }
}
