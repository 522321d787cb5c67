module zerotrace/gosvc

go 1.19
