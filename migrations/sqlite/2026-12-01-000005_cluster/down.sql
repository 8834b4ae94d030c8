DROP TABLE cluster_leases;
DROP TABLE cluster_nodes;
