/* SPDX-License-Identifier: MIT */
/*
 * port.c - the registry of port classes and open ports (see port.h), the generic control
 * operations on a port, and the parser of "key=value,..." port arguments that every class
 * uses in construct(). The registry is two fixed arrays touched only by the control thread.
 */
#include "vswitch/port.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PORT_ARG_KEY_MAX 31

static const struct port_class *port_classes[PORT_CLASS_MAX];
static struct port *port_table[PORT_MAX];
static unsigned int port_n;

static int
port_class_slot(const char *type)
{
	for (int i = 0; i < PORT_CLASS_MAX; i++)
		if (port_classes[i] && !strcmp(port_classes[i]->type, type))
			return i;
	return -1;
}

int
port_class_register(const struct port_class *cls)
{
	int free_slot = -1;

	if (!cls || !cls->type || !cls->rx_burst || !cls->tx_burst ||
	    cls->port_size < sizeof(struct port))
		return -EINVAL;
	if (cls->type[0] == '\0' || strnlen(cls->type, PORT_NAME_SIZE) >= PORT_NAME_SIZE)
		return -EINVAL;
	if (port_class_slot(cls->type) >= 0)
		return -EEXIST;
	for (int i = 0; i < PORT_CLASS_MAX && free_slot < 0; i++)
		if (!port_classes[i])
			free_slot = i;
	if (free_slot < 0)
		return -ENOSPC;
	port_classes[free_slot] = cls;
	return 0;
}

int
port_class_unregister(const struct port_class *cls)
{
	for (int i = 0; i < PORT_CLASS_MAX; i++) {
		if (port_classes[i] != cls || !cls)
			continue;
		for (unsigned int j = 0; j < PORT_MAX; j++)
			if (port_table[j] && port_table[j]->cls == cls)
				return -EBUSY;
		port_classes[i] = NULL;
		return 0;
	}
	return -ENOENT;
}

const struct port_class *
port_class_lookup(const char *type)
{
	int i;

	if (!type)
		return NULL;
	i = port_class_slot(type);
	return i < 0 ? NULL : port_classes[i];
}

static bool
port_name_valid(const char *name)
{
	size_t len;

	if (!name)
		return false;
	len = strnlen(name, PORT_NAME_SIZE);
	if (len == 0 || len >= PORT_NAME_SIZE || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

int
port_open(const char *type, const char *name, const char *args, struct port **portp)
{
	const struct port_class *cls;
	struct port *port;
	int index = -1;
	int err;

	if (!port_name_valid(name))
		return -EINVAL;
	if (args && strnlen(args, PORT_ARGS_MAX_LEN + 1) > PORT_ARGS_MAX_LEN)
		return -EINVAL;
	cls = port_class_lookup(type);
	if (!cls)
		return -EAFNOSUPPORT;
	if (port_lookup(name))
		return -EEXIST;
	for (int i = 0; i < PORT_MAX && index < 0; i++)
		if (!port_table[i])
			index = i;
	if (index < 0)
		return -ENOSPC;

	/* Cache-line aligned: a class may keep per-queue counters on lines of their own. */
	port = aligned_alloc(64, (cls->port_size + 63) & ~(size_t)63);
	if (!port)
		return -ENOMEM;
	memset(port, 0, cls->port_size);
	memcpy(port->name, name, strlen(name) + 1);
	port->cls = cls;
	port->index = (uint16_t)index;
	port->n_rxq = 1;
	port->n_txq = 1;
	port->mtu = PORT_MTU_DEFAULT;
	if (cls->construct) {
		err = cls->construct(port, args);
		if (err) {
			free(port);
			return err < 0 ? err : -EINVAL;
		}
	}
	port_table[index] = port;
	port_n++;
	*portp = port;
	return 0;
}

void
port_close(struct port *port)
{
	if (!port)
		return;
	if (port->index < PORT_MAX && port_table[port->index] == port) {
		port_table[port->index] = NULL;
		port_n--;
	}
	if (port->cls->destruct)
		port->cls->destruct(port);
	free(port);
}

struct port *
port_lookup(const char *name)
{
	if (!name)
		return NULL;
	for (unsigned int i = 0; i < PORT_MAX; i++)
		if (port_table[i] && !strncmp(port_table[i]->name, name, PORT_NAME_SIZE))
			return port_table[i];
	return NULL;
}

struct port *
port_by_index(unsigned int index)
{
	return index < PORT_MAX ? port_table[index] : NULL;
}

unsigned int
port_n_open(void)
{
	return port_n;
}

int
port_set_mtu(struct port *port, unsigned int mtu)
{
	int err;

	if (mtu < PORT_MTU_MIN || mtu > PORT_MTU_MAX)
		return -EINVAL;
	if (!port->cls->set_mtu)
		return -EOPNOTSUPP;
	err = port->cls->set_mtu(port, mtu);
	if (err)
		return err;
	port->mtu = mtu;
	return 0;
}

int
port_get_etheraddr(const struct port *port, struct ether_addr *mac)
{
	if (!port->cls->get_etheraddr)
		return -EOPNOTSUPP;
	return port->cls->get_etheraddr(port, mac);
}

int
port_get_stats(const struct port *port, struct port_stats *stats)
{
	if (port->cls->get_stats)
		return port->cls->get_stats(port, stats);
	stats->rx_packets = vsw_counter_read(&port->stats.rx_packets);
	stats->rx_bytes = vsw_counter_read(&port->stats.rx_bytes);
	stats->tx_packets = vsw_counter_read(&port->stats.tx_packets);
	stats->tx_bytes = vsw_counter_read(&port->stats.tx_bytes);
	vsw_counters_read(&port->stats.ctrs, &stats->ctrs);
	return 0;
}

struct port_arg {
	const char *key;
	size_t key_len;
	const char *val;
	size_t val_len;
};

/* Parses the pair at '*pos' and advances past it: 1 for a pair, 0 at the end, -EINVAL. */
static int
port_args_next(const char **pos, struct port_arg *arg)
{
	const char *s = *pos;

	if (*s == '\0')
		return 0;
	arg->key = s;
	while ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-')
		s++;
	arg->key_len = (size_t)(s - arg->key);
	if (arg->key_len == 0 || arg->key_len > PORT_ARG_KEY_MAX || *s != '=')
		return -EINVAL;
	arg->val = ++s;
	while (*s != '\0' && *s != ',')
		s++;
	arg->val_len = (size_t)(s - arg->val);
	if (*s == ',') {
		s++;
		/* "a=1," would otherwise read as a valid list with nothing after the comma. */
		if (*s == '\0')
			return -EINVAL;
	}
	*pos = s;
	return 1;
}

static bool
port_arg_is(const struct port_arg *arg, const char *key)
{
	return strlen(key) == arg->key_len && !memcmp(arg->key, key, arg->key_len);
}

static int
port_args_start(const char *args, const char **pos)
{
	if (!args)
		args = "";
	if (strnlen(args, PORT_ARGS_MAX_LEN + 1) > PORT_ARGS_MAX_LEN)
		return -EINVAL;
	*pos = args;
	return 0;
}

int
port_args_check(const char *args, const char *const *keys)
{
	const char *pos;
	struct port_arg arg;
	int n = 0;
	int rc;

	if (port_args_start(args, &pos))
		return -EINVAL;
	while ((rc = port_args_next(&pos, &arg)) > 0) {
		const char *prev_pos = args;
		struct port_arg prev;
		bool known = false;

		for (const char *const *k = keys; *k && !known; k++)
			known = port_arg_is(&arg, *k);
		if (!known)
			return -EINVAL;
		for (int i = 0; i < n; i++) {
			port_args_next(&prev_pos, &prev);
			if (prev.key_len == arg.key_len && !memcmp(prev.key, arg.key, arg.key_len))
				return -EINVAL;
		}
		n++;
	}
	return rc;
}

int
port_args_get(const char *args, const char *key, char *val, size_t size)
{
	const char *pos;
	struct port_arg arg;
	int rc;

	if (port_args_start(args, &pos))
		return -EINVAL;
	while ((rc = port_args_next(&pos, &arg)) > 0) {
		if (!port_arg_is(&arg, key))
			continue;
		if (arg.val_len >= size)
			return -E2BIG;
		memcpy(val, arg.val, arg.val_len);
		val[arg.val_len] = '\0';
		return 0;
	}
	return rc < 0 ? rc : -ENOENT;
}

int
port_args_get_uint(const char *args, const char *key, unsigned int min, unsigned int max,
		   unsigned int *out)
{
	char buf[16];
	uint64_t v = 0;
	int err;

	err = port_args_get(args, key, buf, sizeof(buf));
	if (err == -E2BIG)
		return -EINVAL;
	if (err)
		return err;
	if (buf[0] == '\0')
		return -EINVAL;
	for (const char *c = buf; *c; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*c - '0');
		if (v > max)
			return -EINVAL;
	}
	if (v < min)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}
