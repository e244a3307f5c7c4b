/**
 * The job's Nix settings and store, asked of the real Nix: from the
 * configuration directory it reads (NIX_CONF_DIR) and NIX_CONFIG, as they
 * are when the helper starts.
 */

import { isDaemonStore, readNixSettings, readStoreInfo } from "../../src/pull/nix_settings.ts";
import { assertEquals } from "../helpers/assert.ts";
import { testSystem } from "../helpers/context.ts";
import { tempDir } from "../helpers/nix.ts";

Deno.test("readNixSettings() reads what the job's nix.conf and NIX_CONFIG say", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/nix.conf`,
      "substituters = https://a.example.com\ntrusted-users = root @ci\nnetrc-file = /srv/netrc\n",
    );
    const env = {
      NIX_CONF_DIR: dir,
      NIX_CONFIG: "extra-trusted-public-keys = k:0OGDpnGwjamPyy6ehQAnvLpA6DGcuM6fZx3pKgOI6q4=\n",
    };
    const system = testSystem({ env });
    const settings = await readNixSettings(system, system.env);
    assertEquals(settings?.substituters, ["https://a.example.com"]);
    assertEquals(settings?.trustedUsers, ["root", "@ci"]);
    assertEquals(settings?.netrcFile, "/srv/netrc");
    assertEquals(settings?.confDir, dir);
    assertEquals(
      settings?.trustedPublicKeys.includes("k:0OGDpnGwjamPyy6ehQAnvLpA6DGcuM6fZx3pKgOI6q4="),
      true,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readStoreInfo() says this machine's single-user Nix is a local store, not a daemon", async () => {
  const info = await readStoreInfo(testSystem());
  assertEquals(info?.url, "local");
  assertEquals(isDaemonStore(info!), false);
  assertEquals(isDaemonStore({ url: "daemon", trusted: null }), true);
  assertEquals(
    isDaemonStore({ url: "unix:///nix/var/nix/daemon-socket/socket", trusted: true }),
    true,
  );
});
