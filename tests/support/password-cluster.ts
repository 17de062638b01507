// A throwaway PostgreSQL cluster of a test's own that asks for SCRAM-SHA-256 passwords over TCP
// (the shared test server trusts every local connection, so it cannot show a wrong password, nor
// a client's SCRAM login), optionally with TLS. Server mode only, as root with pg_createcluster;
// each file names its own cluster and port, and drops the cluster after.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { usingServer } from "./test-database.ts";

export interface PasswordCluster {
  /** Why it cannot run here, or null. */
  skipReason: string | null;
  /** postgres://postgres:<password>@127.0.0.1:<port>/postgres, the password percent-encoded. */
  url(password: string): string;
  /** Creates and starts it, with `password` for the postgres user, then runs `statements` as postgres. */
  create(password: string, statements?: string[]): void;
  drop(): void;
  /** The server's log (its FATAL lines show failed logins). */
  log(): string;
}

export function passwordCluster(name: string, port: number, options: { tls?: boolean } = {}): PasswordCluster {
  const cluster = ["15", name];
  const conf = `/etc/postgresql/${cluster.join("/")}`;
  const data = `/var/lib/postgresql/${cluster.join("/")}`;
  const run = (command: string, args: string[]) => execFileSync(command, args, { stdio: "pipe" }).toString();
  const psql = (statement: string) => run("su", ["postgres", "-c", `psql -p ${port} -q -c "${statement}"`]);
  const drop = () => {
    try {
      run("pg_dropcluster", ["--stop", ...cluster]);
    } catch {
      // Not there.
    }
    // pg_dropcluster leaves the configuration folder when it holds a file it did not write (tls.conf).
    rmSync(conf, { recursive: true, force: true });
  };
  return {
    skipReason: !usingServer
      ? "server mode only (TEST_DATABASE_URL)"
      : !existsSync("/usr/bin/pg_createcluster")
        ? "pg_createcluster is not installed"
        : process.getuid?.() !== 0
          ? "needs root to create a cluster"
          : null,
    url: (password) => `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    create(password, statements = []) {
      drop(); // left behind by an interrupted run
      run("pg_createcluster", [...cluster, "-p", String(port)]);
      if (options.tls) {
        run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout", `${data}/server.key`, "-out", `${data}/server.crt`]);
        run("chown", ["postgres:postgres", `${data}/server.key`, `${data}/server.crt`]);
        run("chmod", ["600", `${data}/server.key`]);
        writeFileSync(`${conf}/conf.d/tls.conf`, `ssl = on\nssl_cert_file = '${data}/server.crt'\nssl_key_file = '${data}/server.key'\n`);
      }
      // Peer for the set-up below, passwords (scram-sha-256) for everything over TCP.
      const hba = `${conf}/pg_hba.conf`;
      writeFileSync(hba, `local all postgres peer\nhost all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n# was:\n${readFileSync(hba, "utf8").replace(/^(?!#)/gm, "# ")}`);
      run("pg_ctlcluster", [...cluster, "start"]);
      for (const statement of [`alter user postgres password '${password}'`, ...statements]) psql(statement);
    },
    drop,
    log: () => readFileSync(`/var/log/postgresql/postgresql-${cluster.join("-")}.log`, "utf8"),
  };
}
