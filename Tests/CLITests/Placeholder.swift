// CLITests: tests land here.
