/**
 * Rotating the release key: a new pair from Nix, the secret half written
 * where it cannot be committed by accident, and the public half made the
 * default of every template (and of the README's inputs table) at once.
 */

import { main, nextKeyName, rotateKey } from "../../release/key.ts";
import { runNix } from "../../release/nix_command.ts";
import { replaceTemplateKey, templateKey } from "../../release/template_key.ts";
import { assert, assertEquals, assertIncludes, assertRejects } from "../helpers/assert.ts";
import { ROOT, sh, tempDir } from "../helpers/nix.ts";

const TEMPLATES = ["nix-build", "watch-store", "use"];

/** A copy of the repository's templates and README in a new directory. */
async function repositoryCopy(): Promise<string> {
  const dir = await tempDir("attic-ci-key-");
  await Deno.mkdir(`${dir}/templates`);
  for (const name of TEMPLATES) {
    await Deno.copyFile(`${ROOT}/templates/${name}.yml`, `${dir}/templates/${name}.yml`);
  }
  await Deno.copyFile(`${ROOT}/README.md`, `${dir}/README.md`);
  return dir;
}

Deno.test("nextKeyName() raises the key name's number, or starts one", () => {
  assertEquals(
    nextKeyName("attic-ci-release-1:oKbQXYYGWFeXHuQNiMwyQbe4Qe9mmMrQD1sGbaV9Lxc="),
    "attic-ci-release-2",
  );
  assertEquals(nextKeyName("attic-ci-release-9"), "attic-ci-release-10");
  assertEquals(nextKeyName("mirror.example.com"), "mirror.example.com-2");
});

Deno.test("rotateKey() writes a new secret key (mode 0600) and makes its public half the default of every template and of the README at once", async () => {
  const dir = await repositoryCopy();
  try {
    const before = await templateKey(dir);
    const readme = await Deno.readTextFile(`${dir}/README.md`);
    assertIncludes(readme, before);
    const secret = `${dir}/new.sec`;
    const rotation = await rotateKey(dir, { secretOut: secret });
    assertEquals(rotation.previous, before);
    assertEquals(rotation.changed, [
      "templates/nix-build.yml",
      "templates/watch-store.yml",
      "templates/use.yml",
      "README.md",
    ]);
    assert(rotation.publicKey.startsWith(`${nextKeyName(before)}:`), rotation.publicKey);
    assertEquals(await templateKey(dir), rotation.publicKey);
    const after = await Deno.readTextFile(`${dir}/README.md`);
    assert(!after.includes(before), "the README still names the old key");
    assertIncludes(after, rotation.publicKey);
    assertEquals((await Deno.stat(secret)).mode! & 0o777, 0o600);
    const derived = await runNix(["key", "convert-secret-to-public"], {
      stdin: await Deno.readTextFile(secret),
    });
    assertEquals(derived.trim(), rotation.publicKey);
    // Nothing else in the templates changed.
    for (const name of TEMPLATES) {
      const original = await Deno.readTextFile(`${ROOT}/templates/${name}.yml`);
      const rotated = await Deno.readTextFile(`${dir}/templates/${name}.yml`);
      assertEquals(rotated, original.replace(before, rotation.publicKey));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rotateKey() refuses, changing nothing, a secret file that exists or that git would commit, and templates that disagree", async () => {
  const dir = await repositoryCopy();
  try {
    const before = await templateKey(dir);
    await Deno.writeTextFile(`${dir}/taken.sec`, "something");
    await assertRejects(
      () => rotateKey(dir, { secretOut: `${dir}/taken.sec` }),
      "exists: name a new file for the secret key",
    );
    // In a git repository, a secret that git does not ignore is refused; an ignored one is not.
    for (const args of [["init", "-q"], ["config", "user.email", "t@x.invalid"]]) {
      assertEquals((await sh("git", args, { cwd: dir })).code, 0);
    }
    await Deno.writeTextFile(`${dir}/.gitignore`, "ignored/\n");
    await assertRejects(
      () => rotateKey(dir, { secretOut: `${dir}/release.sec` }),
      "is in the repository and git does not ignore it",
    );
    assertEquals(await templateKey(dir), before);
    await Deno.mkdir(`${dir}/ignored`);
    const rotation = await rotateKey(dir, { secretOut: `${dir}/ignored/release.sec` });
    assertEquals(await templateKey(dir), rotation.publicKey);

    // Templates that disagree are refused before anything is generated.
    await replaceTemplateKey(dir, rotation.publicKey, before).catch(() => {});
    const use = `${dir}/templates/use.yml`;
    await Deno.writeTextFile(
      use,
      (await Deno.readTextFile(use)).replace(before, rotation.publicKey),
    );
    await assertRejects(
      () => rotateKey(dir, { secretOut: `${dir}/ignored/other.sec` }),
      "the templates trust different keys by default",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task release:key says where the secret is and what to do with it", async () => {
  const dir = await repositoryCopy();
  try {
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => lines.push(line);
    try {
      assertEquals(
        await main(["--secret-out", `${dir}/k.sec`, "--name", "attic-ci-release-7"], dir),
        0,
      );
    } finally {
      console.log = log;
    }
    const said = lines.join("\n");
    assertIncludes(said, "the templates now trust attic-ci-release-7:");
    assertIncludes(said, `the secret key is in ${dir}/k.sec`);
    assertIncludes(said, "File-type CI/CD variable ATTIC_CI_RELEASE_SIGNING_KEY");
    assert(!said.includes(await Deno.readTextFile(`${dir}/k.sec`)), "the secret was printed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
