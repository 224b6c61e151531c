/* Every subcommand of auralith-pipeline is one function in its own file
 * src/cli/cmd_<name>.c. argv[0] is the subcommand name. Returns the process exit code
 * (0 success, 1 runtime failure, 2 usage error; submit-job documents more). */
#ifndef AL_CLI_COMMANDS_H
#define AL_CLI_COMMANDS_H

int cmd_coordinator(int argc, char **argv);
int cmd_worker(int argc, char **argv);
int cmd_submit_job(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_job_status(int argc, char **argv);
int cmd_train_tokenizer(int argc, char **argv);
int cmd_encode(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_inspect(int argc, char **argv);

#endif
