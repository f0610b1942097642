/**
 * Settings of the execution back ends the terminal and file tools run on. One back
 * end is the default (CAIRN_BACKEND); a channel may pick another through the
 * `channels` overrides. Each back end's block is read only when it is used.
 */
import { z } from 'zod';
import { hostPath } from './host-path.js';
import { apiRootUrl } from './http-url.js';
import type { EnvBinding } from './env.js';
import { flag } from './flag.js';
import { inUnit, timerMinutes, timerMs } from './duration.js';

export const BACKEND_NAMES = ['local', 'docker', 'ssh', 'singularity', 'modal', 'daytona'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** Host variables a local back end may see; anything else (keys, tokens) stays with Cairn. */
export const DEFAULT_PASS_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TERM', 'TMPDIR', 'SHELL'];

export const backendsSchema = z
  .object({
    default: z.enum(BACKEND_NAMES).default('local'),
    /** One environment for every session instead of one per session. */
    shared: flag(false),
    /** The terminal and file tools are offered to admins only unless this is false. */
    adminOnly: flag(true),
    commandTimeoutSeconds: inUnit('s', z.number().positive().max(3600).default(120)),
    idleMinutes: timerMinutes(30),
    approvalTimeoutSeconds: inUnit('s', z.number().positive().max(86_400).default(300)),
    /** Characters of command output the model sees (head and tail kept); past 19,000 the tool registry's own cut (20,000) would undo the split. */
    maxOutputChars: z.number().int().min(1000).max(19_000).default(12_000),
    maxFileBytes: z.number().int().positive().default(10 * 1024 * 1024),
    /** Variables set in every environment (in addition to each back end's own). */
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'use a shell variable name'), z.string()).default({}),
    /** Host variables the local and singularity back ends pass through (after secrets are stripped). */
    passEnv: z.array(z.string().min(1)).default(DEFAULT_PASS_ENV),
    local: z
      .object({
        /** Where per-session working directories live (default <dataDir>/workspaces). */
        workRoot: hostPath().optional(),
      })
      .prefault({}),
    docker: z
      .object({
        image: z.string().min(1).default('debian:bookworm-slim'),
        /** unix:///var/run/docker.sock (default), tcp://host:2375 or http(s)://host:port. */
        host: z.string().min(1).optional(),
        cpus: z.number().positive().default(1),
        memoryMb: z.number().int().min(16).default(1024),
        pidsLimit: z.number().int().positive().default(512),
        network: z.string().min(1).default('bridge'),
        workdir: z.string().startsWith('/').default('/workspace'),
        /** A host directory mounted at `workdir`; nothing else of the host is mounted. */
        mount: z
          .string()
          .min(1)
          // Docker takes a bare name for a named volume: a relative path would silently mount an empty one.
          .refine((path) => path.startsWith('/'), {
            // `~` is not expanded here: the Docker host may be another machine, whose home is not Cairn's.
            message: 'must be an absolute path on the Docker host, e.g. /srv/cairn/work (a bare name would be a Docker volume; ~ is not expanded, as the Docker host may be another machine)',
          })
          .optional(),
      })
      .prefault({}),
    ssh: z
      .object({
        host: z.string().min(1).optional(),
        port: z.number().int().min(1).max(65535).default(22),
        user: z.string().min(1).optional(),
        /** Private key file; without it the ssh agent (SSH_AUTH_SOCK) is used. */
        key: hostPath().optional(),
        passphrase: z.string().optional(),
        agent: z.string().min(1).optional(),
        /** known_hosts file checked for the server's key (default ~/.ssh/known_hosts). */
        knownHosts: hostPath().optional(),
        /** Accept any host key. Only for throwaway test machines. */
        insecureIgnoreHostKey: flag(false),
        /** Directory under the remote home for session directories. */
        workRoot: z.string().min(1).default('.cairn/workspaces'),
        connectTimeoutMs: timerMs(15_000),
      })
      .prefault({}),
    singularity: z
      .object({
        /** An image file (.sif) or URI (docker://debian:bookworm-slim, library://…). */
        image: hostPath().optional(),
        /** apptainer or singularity (or a path); the first one installed when unset. */
        binary: hostPath().optional(),
        /** Host directory for session directories, bound at the same path (default <dataDir>/workspaces). */
        workRoot: hostPath().optional(),
      })
      .prefault({}),
    modal: z
      .object({
        tokenId: z.string().min(1).optional(),
        tokenSecret: z.string().min(1).optional(),
        environment: z.string().min(1).optional(),
        app: z.string().min(1).default('cairn'),
        image: z.string().min(1).default('debian:bookworm-slim'),
        cpu: z.number().positive().optional(),
        memoryMb: z.number().int().positive().optional(),
        /** Longest a sandbox may live, whatever happens to Cairn. */
        timeoutMinutes: inUnit('min', z.number().positive().max(1440).default(60)),
        workdir: z.string().startsWith('/').default('/workspace'),
      })
      .prefault({}),
    daytona: z
      .object({
        apiKey: z.string().min(1).optional(),
        apiUrl: apiRootUrl().optional(),
        target: z.string().min(1).optional(),
        /** Image to build the sandbox from; Daytona's default snapshot when unset. */
        image: z.string().min(1).optional(),
        cpu: z.number().int().positive().optional(),
        memoryGb: z.number().int().positive().optional(),
        /** Daytona stops a sandbox idle this long even if Cairn cannot (0 disables). */
        autoStopMinutes: inUnit('min', z.number().int().min(0).default(30)),
        /**
         * Daytona deletes a sandbox that stayed stopped this long (0 keeps it for good): one Cairn lost track of
         * (a crash, a session that ended while Cairn was down) would otherwise be archived and kept, billed for disk.
         */
        autoDeleteMinutes: inUnit('min', z.number().int().min(0).default(1440)),
        workdir: z.string().min(1).default('workspace'),
      })
      .prefault({}),
  })
  .prefault({});

export type BackendsConfig = z.output<typeof backendsSchema>;

const at = (...path: string[]) => ['backends', ...path];

export const BACKEND_ENV_BINDINGS: readonly EnvBinding[] = [
  { name: 'CAIRN_BACKEND', path: at('default'), kind: 'string', help: 'Where the terminal and file tools run: local (default), docker, ssh, singularity, modal or daytona.' },
  { name: 'CAIRN_TOOLS_ADMIN_ONLY', path: at('adminOnly'), kind: 'string', help: 'true (default): only admins get the terminal and file tools; false offers them to everyone allowed to talk to Cairn.' },
  { name: 'CAIRN_COMMAND_TIMEOUT_SECONDS', path: at('commandTimeoutSeconds'), kind: 'number', help: 'Default time limit of one command; its whole process tree is killed after it (default 120).' },
  { name: 'CAIRN_BACKEND_IDLE_MINUTES', path: at('idleMinutes'), kind: 'number', help: "A session's environment unused this long is stopped (default 30)." },
  { name: 'CAIRN_APPROVAL_TIMEOUT_SECONDS', path: at('approvalTimeoutSeconds'), kind: 'number', help: 'How long a dangerous command waits for /approve before it is denied (default 300).' },
  { name: 'CAIRN_BACKEND_PASS_ENV', path: at('passEnv'), kind: 'list', help: 'Comma-separated host variables local and singularity environments may see, credentials still removed (default PATH,HOME,USER,LOGNAME,LANG,LC_ALL,LC_CTYPE,TZ,TERM,TMPDIR,SHELL).' },
  { name: 'CAIRN_DOCKER_IMAGE', path: at('docker', 'image'), kind: 'string', help: 'Image of the per-session container (default debian:bookworm-slim).' },
  { name: 'CAIRN_DOCKER_HOST', path: at('docker', 'host'), kind: 'string', help: 'Docker Engine address: unix:///var/run/docker.sock (default), tcp://host:2375 or http://host:port.' },
  { name: 'CAIRN_DOCKER_CPUS', path: at('docker', 'cpus'), kind: 'number', help: 'CPU limit per container (default 1).' },
  { name: 'CAIRN_DOCKER_MEMORY_MB', path: at('docker', 'memoryMb'), kind: 'int', help: 'Memory limit per container in MiB (default 1024).' },
  { name: 'CAIRN_DOCKER_MOUNT', path: at('docker', 'mount'), kind: 'string', help: 'Host directory mounted as the work directory (nothing is mounted by default).' },
  { name: 'CAIRN_SSH_HOST', path: at('ssh', 'host'), kind: 'string', help: 'Server the ssh back end runs commands on.' },
  { name: 'CAIRN_SSH_PORT', path: at('ssh', 'port'), kind: 'int', help: 'Its port (default 22).' },
  { name: 'CAIRN_SSH_USER', path: at('ssh', 'user'), kind: 'string', help: 'User to log in as.' },
  { name: 'CAIRN_SSH_KEY', path: at('ssh', 'key'), kind: 'string', help: 'Path of the private key; the ssh agent (SSH_AUTH_SOCK) is used when unset.' },
  { name: 'CAIRN_SSH_KNOWN_HOSTS', path: at('ssh', 'knownHosts'), kind: 'string', help: "known_hosts file the server's key must be in (default ~/.ssh/known_hosts)." },
  { name: 'CAIRN_SSH_INSECURE_IGNORE_HOST_KEY', path: at('ssh', 'insecureIgnoreHostKey'), kind: 'string', help: 'true accepts any server key (no protection against a man in the middle; test machines only).' },
  { name: 'SSH_AUTH_SOCK', path: at('ssh', 'agent'), kind: 'string', help: "The ssh agent's socket, used when CAIRN_SSH_KEY is unset." },
  { name: 'CAIRN_SINGULARITY_IMAGE', path: at('singularity', 'image'), kind: 'string', help: 'Image file or URI for the singularity back end (docker://…, library://…, a .sif path).' },
  { name: 'CAIRN_SINGULARITY_BINARY', path: at('singularity', 'binary'), kind: 'string', help: 'apptainer or singularity (default: whichever is installed).' },
  { name: 'MODAL_TOKEN_ID', path: at('modal', 'tokenId'), kind: 'string', help: 'Modal token id for the modal back end.' },
  { name: 'MODAL_TOKEN_SECRET', path: at('modal', 'tokenSecret'), kind: 'string', help: 'Modal token secret.' },
  { name: 'CAIRN_MODAL_APP', path: at('modal', 'app'), kind: 'string', help: 'Modal app the sandboxes belong to (default cairn).' },
  { name: 'CAIRN_MODAL_IMAGE', path: at('modal', 'image'), kind: 'string', help: 'Registry image of the Modal sandboxes (default debian:bookworm-slim).' },
  { name: 'DAYTONA_API_KEY', path: at('daytona', 'apiKey'), kind: 'string', help: 'Daytona API key for the daytona back end.' },
  { name: 'DAYTONA_API_URL', path: at('daytona', 'apiUrl'), kind: 'string', help: 'Daytona API URL (default https://app.daytona.io/api).' },
  { name: 'CAIRN_DAYTONA_IMAGE', path: at('daytona', 'image'), kind: 'string', help: "Image of the Daytona sandboxes (Daytona's default snapshot when unset)." },
];

/** Secret values in the back ends' settings, so logs mask them too. */
export function backendSecrets(backends: BackendsConfig): (string | undefined)[] {
  return [backends.modal.tokenSecret, backends.daytona.apiKey, backends.ssh.passphrase];
}

/** The host variables a local process may inherit: only those named, never one that looks secret. */
export function hostEnvForBackends(env: Record<string, string | undefined>, names: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}
