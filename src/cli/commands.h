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
int cmd_sample(int argc, char **argv);
/* train-tokenizer image|audio|video|all (cmd_train_media.c); argv[0] is the
 * subcommand. cmd_train_all trains text through train_text. */
int cmd_train_image(int argc, char **argv);
int cmd_train_audio(int argc, char **argv);
int cmd_train_video(int argc, char **argv);
int cmd_train_all(int argc, char **argv, int (*train_text)(int, char **));

#endif
