/*
 * kafka-mock: librdkafka's mock Kafka cluster (rdkafka_mock.h), the only
 * Kafka broker the tests have on this machine.  Usage: kafka-mock TOPIC
 * PARTITIONS.  Prints the bootstrap servers on one line and runs until
 * SIGTERM/SIGINT; SIGUSR1 takes every broker down, SIGUSR2 brings them up.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define BROKERS	3

static volatile sig_atomic_t	 stop, down, up;

static void
sig_cb(int sig)
{
	if (sig == SIGUSR1)
		down = 1;
	else if (sig == SIGUSR2)
		up = 1;
	else
		stop = 1;
}

static void
set_all(rd_kafka_mock_cluster_t *mc, int isup)
{
	int	 i;

	for (i = 1; i <= BROKERS; i++)
		if (isup)
			rd_kafka_mock_broker_set_up(mc, i);
		else
			rd_kafka_mock_broker_set_down(mc, i);
	fprintf(stderr, "kafka-mock: brokers %s\n", isup ? "up" : "down");
}

int
main(int argc, char *argv[])
{
	rd_kafka_conf_t		*conf = rd_kafka_conf_new();
	rd_kafka_mock_cluster_t	*mc;
	rd_kafka_t		*rk;
	char			 err[256];

	if (argc != 3) {
		fprintf(stderr, "usage: kafka-mock TOPIC PARTITIONS\n");
		return 1;
	}
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "kafka-mock: %s\n", err);
		return 1;
	}
	if ((mc = rd_kafka_mock_cluster_new(rk, BROKERS)) == NULL ||
	    rd_kafka_mock_topic_create(mc, argv[1], atoi(argv[2]), 1) != 0) {
		fprintf(stderr, "kafka-mock: cannot start the mock cluster\n");
		return 1;
	}
	signal(SIGTERM, sig_cb);
	signal(SIGINT, sig_cb);
	signal(SIGUSR1, sig_cb);
	signal(SIGUSR2, sig_cb);
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);
	while (!stop) {
		usleep(20000);
		if (down) {
			down = 0;
			set_all(mc, 0);
		}
		if (up) {
			up = 0;
			set_all(mc, 1);
		}
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
