/* subinterpreters: run Python code in named sub-interpreters of one process, in the order
 * given, the way mod_wsgi does in an Apache child: Py_NewInterpreter() when a name is first
 * used, PyThreadState_Swap() to go back to one. Builds against Python 2.7 and every 3.x.
 *
 *   subinterpreters NAME CODE [NAME CODE ...]
 *
 * "main" is the main interpreter; any other NAME is a sub-interpreter, created the first time
 * it is named. Exit status: 0, or 1 when some CODE raised (its traceback is on stderr). */
#include <Python.h>
#include <string.h>

#define MAX_INTERPRETERS 16

int main(int argc, char **argv)
{
    const char *names[MAX_INTERPRETERS];
    PyThreadState *states[MAX_INTERPRETERS];
    int count = 1, status = 0, i, j;

    if (argc < 3 || argc % 2 == 0) {
        fprintf(stderr, "usage: %s NAME CODE [NAME CODE ...]\n", argv[0]);
        return 2;
    }
    Py_Initialize();
    names[0] = "main";
    states[0] = PyThreadState_Get();
    for (i = 1; i < argc; i += 2) {
        for (j = 0; j < count && strcmp(names[j], argv[i]) != 0; j++)
            ;
        if (j == count) {
            if (count == MAX_INTERPRETERS) {
                fprintf(stderr, "subinterpreters: at most %d interpreters\n", MAX_INTERPRETERS);
                return 2;
            }
            PyThreadState_Swap(states[0]);
            names[count] = argv[i];
            states[count] = Py_NewInterpreter();  /* and makes it the current one */
            if (states[count] == NULL) {
                fprintf(stderr, "subinterpreters: Py_NewInterpreter() failed for %s\n", argv[i]);
                return 1;
            }
            count++;
        } else {
            PyThreadState_Swap(states[j]);
        }
        if (PyRun_SimpleString(argv[i + 1]) != 0)
            status = 1;
        PyRun_SimpleString("import sys\nsys.stdout.flush()\nsys.stderr.flush()\n");
    }
    /* Leave without finalizing: tearing down sub-interpreters is not what is probed, and some
     * versions refuse Py_Finalize() with sub-interpreters alive. */
    fflush(stdout);
    fflush(stderr);
    _exit(status);
}
