/**
 * A fake `apptainer` on PATH for the singularity back end's tests: `instance start|stop` keep a file
 * per instance, `exec instance://<name> <command>` runs the command here when the instance exists,
 * and every call's arguments are logged.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../backends/helpers.js';

/** Writes a fake `apptainer` into a fresh directory; returns that directory and a reader of its log. */
export function fakeApptainer(): { bin: string; calls(): string[][]; instances: string } {
  const dir = tempDir('cairn-fake-apptainer-');
  const bin = join(dir, 'bin');
  const instances = join(dir, 'instances');
  const log = join(dir, 'calls.log');
  mkdirSync(bin);
  mkdirSync(instances);
  writeFileSync(log, '');
  // Arguments are logged NUL-separated, one call per \x01-terminated record (scripts contain newlines).
  writeFileSync(
    join(bin, 'apptainer'),
    `#!/bin/sh
printf '%s\\0' "$@" >> '${log}'; printf '\\001' >> '${log}'
case "$1" in
  instance)
    eval "name=\\\${$#}"
    case "$2" in
      start) if [ -e '${instances}'/"$name" ]; then echo "FATAL: instance $name already exists" >&2; exit 255; fi; touch '${instances}'/"$name"; exit 0 ;;
      stop) if [ ! -e '${instances}'/"$name" ]; then echo "FATAL: no instance found with name $name" >&2; exit 255; fi; rm -f '${instances}'/"$name"; exit 0 ;;
    esac ;;
  exec)
    shift
    while [ "\${1#-}" != "$1" ]; do shift; done
    target="\${1#instance://}"; shift
    if [ ! -e '${instances}'/"$target" ]; then echo "FATAL:   While setting image/instance: no instance found with name $target" >&2; exit 255; fi
    exec "$@" ;;
esac
echo "fake apptainer: unsupported: $*" >&2; exit 2
`,
  );
  chmodSync(join(bin, 'apptainer'), 0o755);
  return {
    bin,
    instances,
    calls: () =>
      readFileSync(log, 'utf8')
        .split('\x01')
        .filter((record) => record !== '')
        .map((record) => record.split('\0').slice(0, -1)),
  };
}
