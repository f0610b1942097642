/**
 * A link into ~/.ssh, the account files or a disk is held like a write there: what is written
 * through it (`echo key >> k`, or write_file to `k`) lands in its target, and was run without
 * asking. And reading the partition table (`sudo fdisk -l`, `parted /dev/sda print`) is an
 * everyday question that was held for an admin like a wipe of the disk.
 */
import { describe, expect, it } from 'vitest';
import { findDanger } from '../../src/backends/danger.js';

describe('a link to what only an admin may let the agent write', () => {
  it.each([
    ['ln -s ~/.ssh/authorized_keys keys', 'ssh-keys'],
    ['ln -sf /root/.ssh k && echo key >> k/authorized_keys', 'ssh-keys'],
    ['ln -s ~/.ssh', 'ssh-keys'],
    ['ln /etc/sudoers s', 'account-files'],
    ['ln -s /dev/sda disk', 'raw-disk-write'],
  ])('is held: %s', (command, rule) => {
    expect(findDanger(command)?.rule).toBe(rule);
  });

  it.each(['ln -s ../shared/config.yml config.yml', 'ln -sf /usr/share/zoneinfo/UTC /etc/localtime', 'ln -s ~/project/bin/tool ~/.local/bin/tool'])('ordinary links run: %s', (command) => {
    expect(findDanger(command)).toBeUndefined();
  });
});

describe('partition and file system tools', () => {
  it.each(['sudo fdisk -l', 'fdisk -l /dev/sda', 'sudo sfdisk -l', 'sfdisk --dump /dev/sda', 'sudo parted -l', 'parted /dev/sda print', 'parted -s /dev/sda print', 'sudo parted /dev/nvme0n1 unit GB print free', 'wipefs /dev/sda', 'sudo wipefs --no-act -a /dev/sda'])(
    'run when they only read: %s',
    (command) => {
      expect(findDanger(command)).toBeUndefined();
    },
  );

  it.each(['fdisk /dev/sdb', 'sfdisk /dev/sdb < layout', 'sudo parted -s /dev/sdb mklabel gpt', 'parted -a optimal /dev/sda mkpart primary 0% 100%', 'parted /dev/sda rm 1', 'parted /dev/sda', 'wipefs -a /dev/sda', 'wipefs --all /dev/sdb', 'sudo mkfs.ext4 /dev/sdb1', 'sudo blkdiscard /dev/nvme0n1'])(
    'are held when they change a disk: %s',
    (command) => {
      expect(findDanger(command)?.rule).toBe('mkfs');
    },
  );
});
