/* Raw LMDB, for the benchmark's physical limit and the reader tests.
 *   bench-lmdb DIR batch COUNT SIZE   COUNT records, MDB_APPEND, one durable transaction
 *   bench-lmdb DIR single COUNT SIZE  COUNT durable transactions of one record each
 *   bench-lmdb DIR hold               opens a read transaction, prints "ready", sleeps
 * Prints the elapsed seconds. Build: cc -O2 -o bench-lmdb bench-lmdb.c -llmdb */
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHECK(x) do { int rc_ = (x); if (rc_) { fprintf(stderr, "%s: %s\n", #x, mdb_strerror(rc_)); exit(1); } } while (0)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[2], "hold") == 0) {
        MDB_env *env; MDB_txn *txn;
        CHECK(mdb_env_create(&env));
        CHECK(mdb_env_set_maxdbs(env, 32));
        CHECK(mdb_env_open(env, argv[1], MDB_RDONLY | MDB_NOTLS, 0600));
        int rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
        if (rc) { printf("%s\n", mdb_strerror(rc)); fflush(stdout); return 3; }
        printf("ready\n");
        fflush(stdout);
        for (;;) sleep(60);
    }
    if (argc != 5) { fprintf(stderr, "usage: bench-lmdb DIR batch|single COUNT SIZE\n"); return 2; }
    long count = atol(argv[3]), size = atol(argv[4]);
    int single = strcmp(argv[2], "single") == 0;
    MDB_env *env; MDB_dbi dbi; MDB_txn *txn;
    CHECK(mdb_env_create(&env));
    CHECK(mdb_env_set_mapsize(env, (size_t)64 << 30));
    CHECK(mdb_env_open(env, argv[1], 0, 0600));
    CHECK(mdb_txn_begin(env, NULL, 0, &txn));
    CHECK(mdb_dbi_open(txn, NULL, 0, &dbi));
    CHECK(mdb_txn_commit(txn));
    char *value = malloc(size);
    memset(value, 'x', size);
    double start = now();
    CHECK(mdb_txn_begin(env, NULL, 0, &txn));
    for (long i = 1; i <= count; i++) {
        uint64_t k = __builtin_bswap64((uint64_t)i);
        MDB_val key = { sizeof k, &k }, val = { (size_t)size, value };
        CHECK(mdb_put(txn, dbi, &key, &val, MDB_APPEND));
        if (single) { CHECK(mdb_txn_commit(txn)); if (i < count) CHECK(mdb_txn_begin(env, NULL, 0, &txn)); }
    }
    if (!single) CHECK(mdb_txn_commit(txn));
    printf("%.6f\n", now() - start);
    mdb_env_close(env);
    return 0;
}
