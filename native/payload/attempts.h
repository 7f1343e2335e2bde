/* `podrun-payload try CASE [ARGS...]`: one real attempt, its verdict printed (attempts.c). */
#ifndef PODRUN_PAYLOAD_ATTEMPTS_H
#define PODRUN_PAYLOAD_ATTEMPTS_H

int payload_try (int argc, char **argv);

#endif
