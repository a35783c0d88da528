import type { Command } from 'commander';

export function defineClientCommands(_program: Command): void {}
