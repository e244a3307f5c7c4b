/**
 * `attic-ci use --persist` on a developer's machine: the substituter and key
 * into the user's nix.conf, the token into a 0600 netrc it names — once,
 * however often it runs — and a netrc-file the user set already is where the
 * entry goes.
 */

import { persistPullSource, settingIn, userNixDir } from "../../src/pull/user_nix_config.ts";
import type { PullSource } from "../../src/pull/pull_source.ts";
import { assert, assertEquals, assertIncludes } from "../helpers/assert.ts";
import { sh, tempDir } from "../helpers/nix.ts";

const SOURCE: PullSource = {
  substituter: "https://attic.example.com/main",
  publicKey: "main:0OGDpnGwjamPyy6ehQAnvLpA6DGcuM6fZx3pKgOI6q4=",
  credentials: { host: "attic.example.com", token: "tok" },
};

Deno.test("persistPullSource() writes nix.conf and a 0600 netrc once, and a real Nix reads them", async () => {
  const home = await tempDir();
  try {
    const env = { HOME: home };
    const first = await persistPullSource(SOURCE, env, {
      file: "/etc/nix/netrc",
      text: "machine github.com password gh\n",
    });
    assertEquals(first.confFile, `${home}/.config/nix/nix.conf`);
    assertEquals(first.netrcFile, `${home}/.config/nix/netrc`);
    assertEquals(first.added.length, 3);
    assertEquals((await Deno.stat(first.netrcFile!)).mode! & 0o777, 0o600);
    const netrc = await Deno.readTextFile(first.netrcFile!);
    assertEquals(netrc, "machine attic.example.com password tok\nmachine github.com password gh\n");

    const again = await persistPullSource(
      { ...SOURCE, credentials: { host: "attic.example.com", token: "new" } },
      env,
      null,
    );
    assertEquals(again.added, [], "nothing is added twice");
    assertIncludes(
      await Deno.readTextFile(again.netrcFile!),
      "machine attic.example.com password new\n",
    );
    assertEquals(
      (await Deno.readTextFile(again.netrcFile!)).match(/attic\.example\.com/g)?.length,
      1,
    );

    const shown = await sh("nix", ["--extra-experimental-features", "nix-command", "show-config"], {
      env: { HOME: home, XDG_CONFIG_HOME: `${home}/.config`, NIX_CONFIG: "" },
    });
    assertIncludes(shown.stdout, "https://attic.example.com/main");
    assertIncludes(shown.stdout, `netrc-file = ${home}/.config/nix/netrc`);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("persistPullSource() writes the token into the netrc-file the user's nix.conf names, and a public cache writes none", async () => {
  const config = await tempDir();
  try {
    await Deno.mkdir(`${config}/nix`);
    await Deno.writeTextFile(`${config}/nix/nix.conf`, `netrc-file = ${config}/my-netrc\n`);
    const written = await persistPullSource(SOURCE, { XDG_CONFIG_HOME: config }, null);
    assertEquals(written.netrcFile, `${config}/my-netrc`);
    assert(!written.added.some((line) => line.startsWith("netrc-file")));
    assertEquals(
      settingIn(await Deno.readTextFile(written.confFile), "netrc-file"),
      `${config}/my-netrc`,
    );

    const open = await persistPullSource({ ...SOURCE, credentials: null }, {
      XDG_CONFIG_HOME: `${config}/other`,
    }, null);
    assertEquals(open.netrcFile, null);
  } finally {
    await Deno.remove(config, { recursive: true });
  }
});

Deno.test("userNixDir() follows XDG_CONFIG_HOME, else HOME", () => {
  assertEquals(userNixDir({ XDG_CONFIG_HOME: "/x/", HOME: "/h" }), "/x/nix");
  assertEquals(userNixDir({ HOME: "/h" }), "/h/.config/nix");
});
