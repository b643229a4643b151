{ "targets": [ { "target_name": "noport", "sources": [ "noport.c" ], "cflags": [ "-O2", "-Wall" ] } ] }
