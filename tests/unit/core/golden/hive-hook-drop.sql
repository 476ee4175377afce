ALTER TABLE `sales`.`orders` DROP IF EXISTS PARTITION (`Region`='EU');
ALTER TABLE `sales`.`orders` DROP IF EXISTS PARTITION (`dt`='2024 06 01 space');
ALTER TABLE `sales`.`orders` DROP IF EXISTS PARTITION (`dt`='2024-06-02', `country`='a/b');
ALTER TABLE `sales`.`orders` DROP IF EXISTS PARTITION (`dt`='2024-06-03', `city`='Zürich');
ALTER TABLE `sales`.`orders` DROP IF EXISTS PARTITION (`dt`='2024-06-04', `pct`='100%');
ALTER TABLE `sales`.`orders` DROP IF EXISTS PARTITION (`dt`='2024-06-05', `eq`='x=y');
ALTER TABLE `sales`.`orders` DROP IF EXISTS PARTITION (`dt`='2024-06-06', `eq`='x=y');
ALTER TABLE `sales`.`orders` DROP IF EXISTS PARTITION (`dt`='2024-06-07', `q`='it\'s \"q\"');
