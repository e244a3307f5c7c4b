/**
 * A local HTTP server standing in for GitLab's generic package registry: it
 * serves files under `/api/v4/projects/<encoded path>/packages/generic/…`
 * (and anywhere else, for mirrors), answers 404 for anything it does not
 * have, takes uploads (`PUT`, 201 Created, only with a `JOB-TOKEN`), and
 * records every request with its `JOB-TOKEN` header.
 *
 * @module
 */

/** One request the registry saw. */
export interface RegistryRequest {
  readonly method: string;
  readonly path: string;
  readonly jobToken: string | null;
}

/** A running registry. */
export interface PackageRegistry {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** `<origin>/api/v4`: what a job sees as `CI_API_V4_URL`. */
  readonly apiUrl: string;
  readonly requests: RegistryRequest[];
  /** Serves `body` at `path` (the raw, still-encoded URL path). */
  put(path: string, body: string | Uint8Array): void;
  close(): Promise<void>;
}

/** The registry path of a generic package file, as GitLab builds it. */
export function genericPackagePath(
  project: string,
  version: string,
  file: string,
  packageName = "attic-ci",
): string {
  return `/api/v4/projects/${
    encodeURIComponent(project)
  }/packages/generic/${packageName}/${version}/${file}`;
}

/** Starts a registry on a free loopback port. */
export function startRegistry(): PackageRegistry {
  const files = new Map<string, Uint8Array>();
  const requests: RegistryRequest[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const path = new URL(request.url).pathname;
      const jobToken = request.headers.get("JOB-TOKEN");
      requests.push({ method: request.method, path, jobToken });
      if (request.method === "PUT") {
        if (!jobToken) {
          return new Response('{"message":"401 Unauthorized"}', {
            status: 401,
          });
        }
        files.set(path, new Uint8Array(await request.arrayBuffer()));
        return new Response('{"message":"201 Created"}', { status: 201 });
      }
      const body = files.get(path);
      if (body === undefined) return new Response('{"message":"404 Not Found"}', { status: 404 });
      return new Response(body.slice().buffer);
    },
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;
  return {
    origin,
    apiUrl: `${origin}/api/v4`,
    requests,
    put(path, body) {
      files.set(path, typeof body === "string" ? new TextEncoder().encode(body) : body);
    },
    close: () => server.shutdown(),
  };
}

/** Hex SHA-256 of `data`. */
export async function sha256Of(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes.slice().buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
