ALTER TABLE `sales`.`orders` ADD IF NOT EXISTS PARTITION (`Region`='EU') LOCATION 's3a://lake/orders/gold/Region=EU';
ALTER TABLE `sales`.`orders` ADD IF NOT EXISTS PARTITION (`dt`='2024 06 01 space') LOCATION 's3a://lake/orders/gold/dt=2024 06 01 space';
ALTER TABLE `sales`.`orders` ADD IF NOT EXISTS PARTITION (`dt`='2024-06-02', `country`='a/b') LOCATION 's3a://lake/orders/gold/dt=2024-06-02/country=a%2Fb';
ALTER TABLE `sales`.`orders` ADD IF NOT EXISTS PARTITION (`dt`='2024-06-03', `city`='Zürich') LOCATION 's3a://lake/orders/gold/dt=2024-06-03/city=Zürich';
ALTER TABLE `sales`.`orders` ADD IF NOT EXISTS PARTITION (`dt`='2024-06-04', `pct`='100%') LOCATION 's3a://lake/orders/gold/dt=2024-06-04/pct=100%';
ALTER TABLE `sales`.`orders` ADD IF NOT EXISTS PARTITION (`dt`='2024-06-05', `eq`='x=y') LOCATION 's3a://lake/orders/gold/dt=2024-06-05/eq=x=y';
ALTER TABLE `sales`.`orders` ADD IF NOT EXISTS PARTITION (`dt`='2024-06-06', `eq`='x=y') LOCATION 's3a://lake/orders/gold/dt=2024-06-06/eq=x%3Dy';
ALTER TABLE `sales`.`orders` ADD IF NOT EXISTS PARTITION (`dt`='2024-06-07', `q`='it\'s \"q\"') LOCATION 's3a://lake/orders/gold/dt=2024-06-07/q=it\'s \"q\"';
