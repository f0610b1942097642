/**
 * Builds back ends from config. Each implementation (and with it its SDK:
 * dockerode, ssh2, modal, @daytonaio/sdk) is imported only when that back end is
 * first used, so a Cairn configured for `local` never loads the others.
 */
import { join } from 'node:path';
import type { Config } from '../config/load.js';
import type { Logger } from '../core/logger.js';
import type { Backend, BackendName } from './types.js';

export type BackendLoader = (name: BackendName) => Promise<Backend>;

type Settings = Pick<Config, 'backends' | 'dataDir' | 'backendHostEnv'>;

export function createBackendLoader(config: Settings, logger: Logger): BackendLoader {
  const loaded = new Map<BackendName, Promise<Backend>>();
  return (name) => {
    let backend = loaded.get(name);
    if (!backend) {
      backend = buildBackend(name, config, logger);
      // A failed load (bad config) is not cached: the next use tries again with the same message.
      backend.catch(() => loaded.delete(name));
      loaded.set(name, backend);
    }
    return backend;
  };
}

async function buildBackend(name: BackendName, config: Settings, logger: Logger): Promise<Backend> {
  const { backends } = config;
  const defaultTimeoutMs = backends.commandTimeoutSeconds * 1000;
  const workRoot = (configured: string | undefined, folder: string) => configured ?? join(config.dataDir, folder);
  switch (name) {
    case 'local': {
      const { LocalBackend } = await import('./local.js');
      return new LocalBackend({ workRoot: workRoot(backends.local.workRoot, 'workspaces'), defaultTimeoutMs });
    }
    case 'docker': {
      const { DockerBackend } = await import('./docker.js');
      return new DockerBackend({ ...backends.docker, defaultTimeoutMs });
    }
    case 'ssh': {
      const { SshBackend } = await import('./ssh.js');
      return new SshBackend({ ...backends.ssh, defaultTimeoutMs, logger });
    }
    case 'singularity': {
      const { SingularityBackend } = await import('./singularity.js');
      return new SingularityBackend({ ...backends.singularity, workRoot: workRoot(backends.singularity.workRoot, 'singularity'), hostEnv: config.backendHostEnv, defaultTimeoutMs });
    }
    case 'modal': {
      const { ModalBackend, sdkModalApi } = await import('./modal.js');
      const { modal } = backends;
      return new ModalBackend({
        api: sdkModalApi({ tokenId: modal.tokenId, tokenSecret: modal.tokenSecret, environment: modal.environment, app: modal.app }),
        image: modal.image,
        workdir: modal.workdir,
        cpu: modal.cpu,
        memoryMb: modal.memoryMb,
        timeoutMinutes: modal.timeoutMinutes,
        idleMinutes: backends.idleMinutes,
        defaultTimeoutMs,
      });
    }
    case 'daytona': {
      const { DaytonaBackend } = await import('./daytona.js');
      return new DaytonaBackend({ ...backends.daytona, defaultTimeoutMs });
    }
  }
}
