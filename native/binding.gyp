{
  "targets": [
    {
      "target_name": "stack_spawn",
      "sources": ["spawn.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "stack-log-relay",
      "type": "executable",
      "sources": ["log-relay.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
