import type { Command } from 'commander';

export function defineAdminCommands(_program: Command): void {}
