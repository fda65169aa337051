package dev.strait.gateway;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Command line entry point: {@code strait-gateway run --config FILE}. */
@Command(name = "strait-gateway", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Strait IPsec gateway: IKEv2 daemon and userspace ESP datapath",
        subcommands = {RunCommand.class, CheckCommand.class, RouteAgentCommand.class})
public final class Main implements Runnable {
    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"strait-gateway " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }
}
