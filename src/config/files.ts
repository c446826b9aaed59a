/** The names a project's configuration file may have, in the order they are looked for. */
export const configFileNames = ['.patchpilot.yml', '.patchpilot.yaml', '.patchpilot.json'] as const;
