import type { Command } from 'commander';

export function defineAuthAdminCommands(_program: Command): void {}
